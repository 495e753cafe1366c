"""Hyphenation limits for the PDF: what CSS can say is in the stylesheet, the rest is marked up here.

WeasyPrint hyphenates automatically (pyphen) within `hyphenate-limit-chars` (no word under MIN_WORD letters is
split, no fewer than LEFT letters stay on the line or RIGHT letters move on: no "so-bre", no "be-/ginner.") and
only when the line would otherwise be loose by more than `hyphenate-limit-zone`. This module keeps the last word
of every paragraph whole (a `nohy` span), so a paragraph never ends on a lone fragment.

Consecutive hyphens and hyphens at a page turn have no CSS control in WeasyPrint, so they are enforced after
layout (pdf_pages.py): `line_ends` reads the laid-out lines, `offending_words` names the word of every third
hyphenated line in a row (at most MAX_RUN in a row) and of a hyphen on a page's last line, and `protect` keeps
those words whole for the next layout.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import NamedTuple

from buko.adapters.export.markup import parse_fragment

MIN_WORD, LEFT, RIGHT = 7, 3, 3
MAX_RUN = 2  # hyphenated lines in a row
HYPHENS = ("-", "\u2010", "\u00ad")
AUTO_HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character: a break it made, not a hyphen of the text
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


class LineEnd(NamedTuple):
    """A laid-out line of running text: its page (0-based), its block (tag, n-th of that tag in the document)
    and its text."""

    page: int
    block: tuple[str, int]
    text: str


def line_ends(pages, root=None) -> list[LineEnd]:
    """The lines of the main flow of WeasyPrint page boxes, in order (running heads, folios and footnotes are
    not in the main flow). `root` is the parsed document, to number the blocks the lines belong to."""
    from weasyprint.formatting_structure import boxes

    ordinals: dict[int, tuple[str, int]] = {}
    if root is not None:
        counts: dict[str, int] = {}
        for element in root.iter():
            if isinstance(element.tag, str):
                tag = element.tag.rsplit("}", 1)[-1]
                ordinals[id(element)] = (tag, counts.get(tag, 0))
                counts[tag] = counts.get(tag, 0) + 1
    out: list[LineEnd] = []

    def walk(box, number: int) -> None:
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.LineBox):
                text = "".join(b.text for b in child.descendants() if isinstance(b, boxes.TextBox)).strip()
                if text:
                    out.append(LineEnd(number, ordinals.get(id(box.element), ("", -1)), text))
            elif isinstance(child, boxes.ParentBox):
                walk(child, number)

    for number, page in enumerate(pages):
        walk(page.children[0], number)
    return out


def _hyphenated(line: LineEnd) -> bool:
    return line.text.endswith(HYPHENS) and len(line.text) > 1 and not line.text.endswith(" -")


def line_stats(lines: list[LineEnd]) -> dict:
    """Hyphenated lines, longest run of them and hyphens on a page's last line (a page turn), as laid out."""
    longest = run = turns = hyphenated = 0
    for i, line in enumerate(lines):
        if _hyphenated(line):
            hyphenated += 1
            run += 1
            longest = max(longest, run)
            turns += i + 1 < len(lines) and lines[i + 1].page != line.page
        else:
            run = 0
    return {"lines": len(lines), "hyphenated": hyphenated, "max_run": longest, "page_turns": turns}


_WORD_START = re.compile(r"^\w+")
_WORD_END = re.compile(r"(\w+)" + AUTO_HYPHEN + "$")


def _split_word(line: LineEnd, following: LineEnd) -> str | None:
    """The word WeasyPrint split at the end of `line` (None for a hyphen of the text itself)."""
    head, tail = _WORD_END.search(line.text), _WORD_START.match(following.text)
    return head[1] + tail[0] if head and tail else None


class Split(NamedTuple):
    """A word to keep whole: its `occurrence`-th (0-based) in the `ordinal`-th element `tag` of the document."""

    tag: str
    ordinal: int
    word: str
    occurrence: int = 0


def _whole(word: str) -> re.Pattern:
    return re.compile(r"(?<![\w\u00ad])" + re.escape(word) + r"(?!\w)")


def _split_at(lines: list[LineEnd], i: int, word: str) -> Split:
    """The Split for the word broken at the end of line `i`: which occurrence in its block it is."""
    block = lines[i].block
    start = i
    while start > 0 and lines[start - 1].block == block:
        start -= 1
    text = ""
    for line in lines[start:i + 1]:  # the block's text up to the split, split words joined again
        text += line.text[:-1] if line.text.endswith(AUTO_HYPHEN) else line.text + " "
    before = text[: len(text) - len(_WORD_END.search(lines[i].text)[1])]
    return Split(block[0], block[1], word, len(_whole(word).findall(before)))


def offending_words(lines: list[LineEnd]) -> set[Split]:
    """Words to keep whole: the split word of each third hyphenated line in a row, and of a line that ends a
    page with a split word. Hyphens of the text itself ("well-/known") cannot be moved and are not named."""
    words: set[Split] = set()
    run = 0
    for i, line in enumerate(lines[:-1]):
        if not _hyphenated(line):
            run = 0
            continue
        run += 1
        following = lines[i + 1]
        if run > MAX_RUN or following.page != line.page:
            word = _split_word(line, following)
            if word and line.block[1] >= 0:
                words.add(_split_at(lines, i, word))
                run = 0  # this line will end whole
    return words


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")


def protect(html: str, splits: set[Split]) -> str:
    """`html` with each split word kept whole (a `nohy` span) at its first occurrence in the text of the
    block it was split in: the n-th element of that tag, counted in document order as the parser does."""
    if not splits:
        return html
    wanted: dict[tuple[str, int], dict[str, set[int]]] = {}
    for split in splits:
        wanted.setdefault((split.tag, split.ordinal), {}).setdefault(split.word, set()).add(split.occurrence)
    counts: dict[str, int] = {}
    open_blocks: list[dict] = []  # for each wanted block entered: word -> [occurrences wanted, seen so far]
    out: list[str] = []
    position = 0
    for tag in _TAG.finditer(html):
        out.append(_protect_text(html[position:tag.start()], open_blocks))
        position = tag.end()
        out.append(tag[0])
        if not tag[1] and not tag[0].endswith("/>"):
            name = tag[2].lower()
            ordinal = counts.get(name, 0)
            counts[name] = ordinal + 1
            if (name, ordinal) in wanted:
                open_blocks.append({word: [set(found), 0] for word, found in wanted[(name, ordinal)].items()})
    out.append(_protect_text(html[position:], open_blocks))
    return "".join(out)


def _protect_text(text: str, open_blocks: list[dict]) -> str:
    for words in open_blocks:
        for word, state in list(words.items()):
            def wrap(match: re.Match) -> str:
                seen = state[1]
                state[1] += 1
                if seen in state[0]:
                    state[0].discard(seen)
                    return f'<span class="nohy">{match[0]}</span>'
                return match[0]

            text = _whole(word).sub(wrap, text)
            if not state[0]:
                del words[word]
    open_blocks[:] = [words for words in open_blocks if words]
    return text
