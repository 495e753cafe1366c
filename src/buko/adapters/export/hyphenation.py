"""Hyphenation limits for the PDF: what CSS can say is in the stylesheet, the rest is marked up here.

WeasyPrint hyphenates automatically (pyphen) within `hyphenate-limit-chars` (no word under MIN_WORD letters is
split, no fewer than LEFT letters stay on the line or RIGHT letters move on: no "so-bre", no "be-/ginner.") and
only when the line would otherwise be loose by more than `hyphenate-limit-zone`. This module keeps the last word
of every paragraph whole (a `nohy` span), so a paragraph never ends on a lone fragment. Consecutive hyphens and
hyphens at a page turn have no CSS control in WeasyPrint; bench and tests measure them.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from buko.adapters.export.markup import parse_fragment

MIN_WORD, LEFT, RIGHT = 7, 3, 3
LIMIT_ZONE = "8%"
CSS = (f"hyphens: auto; hyphenate-limit-chars: {MIN_WORD} {LEFT} {RIGHT}; "
       f"hyphenate-limit-zone: {LIMIT_ZONE};")
_LAST_WORD = re.compile(r"(\S+)(\s*)$")
_LONG_TOKEN = re.compile(r"[^\s\u200b]{%d,}" % 24)
_URL_BREAK = re.compile(r"(?<=[/?&=_.~-])(?=[^/?&=_.~-])")
_RUN = re.compile(r"[^\u200b]{12}(?=[^\u200b]{4})")
ZWSP = "\u200b"


def breakable(text: str) -> str:
    """Tokens of 24+ characters (URLs, pathological words) get invisible break points: after URL punctuation
    and every 12 characters, so no line runs past the trim however long a word is."""
    if len(text) < 24 or not _LONG_TOKEN.search(text):
        return text
    return _LONG_TOKEN.sub(lambda m: _RUN.sub(lambda r: r[0] + ZWSP, _URL_BREAK.sub(ZWSP, m[0])), text)
_BLOCKS = {"p", "li", "td", "th"}
_SKIP = {"code", "pre", "h1", "h2", "h3", "h4"}


def keep_last_words(xhtml: str) -> str:
    """The XHTML fragment with the last word of each paragraph in `<span class="nohy">`, long tokens breakable."""
    root = parse_fragment(xhtml)
    _walk(root, [])
    return (_escape(root.text) if root.text else "") + "".join(
        ET.tostring(child, encoding="unicode", short_empty_elements=True) for child in root)


def _walk(el: ET.Element, slots: list[tuple[ET.Element, str, ET.Element]]) -> None:
    """Collects (node, "text"|"tail", parent) of the text in each block, then wraps the block's last word."""
    block = el.tag in _BLOCKS
    mine: list[tuple[ET.Element, str, ET.Element]] = [] if block else slots
    if el.text:
        el.text = breakable(el.text)
        mine.append((el, "text", el))
    for child in list(el):
        _walk(child, mine if child.tag not in _SKIP else [])
        if child.tail:
            child.tail = breakable(child.tail)
            mine.append((child, "tail", el))
    if block:
        _wrap_last_word(mine)


def _wrap_last_word(slots: list[tuple[ET.Element, str, ET.Element]]) -> None:
    for node, attr, parent in reversed(slots):
        text = getattr(node, attr) or ""
        found = _LAST_WORD.search(text) if text.strip() else None
        if not found:
            continue
        if sum(c.isalpha() for c in found[1]) < MIN_WORD and any(c.isalnum() for c in found[1]):
            return  # too short to be hyphenated anyway: no span (each one costs layout time)
        span = ET.Element("span", {"class": "nohy"})
        span.text, span.tail = found[1], found[2]
        setattr(node, attr, text[: found.start()])
        if attr == "text":
            node.insert(0, span)
        else:
            parent.insert(list(parent).index(node) + 1, span)
        if any(c.isalnum() for c in found[1]):
            return  # else it was punctuation after markup ("<em>word</em>."): the word before is kept too


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
