"""Model Markdown -> sanitized, well-formed XHTML fragments, one per chapter.

The Markdown comes from a language model, so it is untrusted: raw HTML is escaped by the
parser, and the rendered HTML goes through nh3 with an allow-list before any exporter sees it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
import xml.etree.ElementTree as ET
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from buko.domain.books.manuscript import Manuscript

TAGS = {
    "p", "em", "strong", "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "hr", "br",
    "sup", "sub", "a", "code", "pre", "section",
}
_ATTRIBUTES = {"a": {"href", "id"}, "li": {"id"}, "ol": {"start"}}
_CLASSES = {
    "hr": {"scene-break", "footnotes-sep"},
    "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item"},
}
_QUOTES = {"en": "“”‘’", "es": "«»“”", "fr": "«»‹›", "de": "„“‚‘", "pt": "«»“”", "it": "«»“”"}
_LABELS = {
    "en": {"chapter": "Chapter", "contents": "Contents", "cover": "Cover", "title": "Title page"},
    "es": {"chapter": "Capítulo", "contents": "Índice", "cover": "Cubierta", "title": "Portada"},
    "fr": {"chapter": "Chapitre", "contents": "Table des matières", "cover": "Couverture", "title": "Titre"},
    "de": {"chapter": "Kapitel", "contents": "Inhalt", "cover": "Umschlag", "title": "Titelseite"},
    "pt": {"chapter": "Capítulo", "contents": "Sumário", "cover": "Capa", "title": "Folha de rosto"},
    "it": {"chapter": "Capitolo", "contents": "Indice", "cover": "Copertina", "title": "Frontespizio"},
}
_DIALOGUE_DASH = {"es", "pt", "ca", "gl"}
_OPENING_DASH = re.compile(r"(?:^|(?<=\s))-{1,2}(?=[¿¡«\"\w])(?!\d)")
_CLOSING_DASH = re.compile(r"(?<=[\w.,;:!?…»\"])--(?=[\s.,;:!?…»]|$)")
_SCENE_BREAK = re.compile(r"^[ \t]*(?:#|\*[ \t]*\*[ \t]*\*|⁂)[ \t]*$", re.M)
_VOID = re.compile(r"<(br|hr)(\s[^<>]*?)?\s*/?>")
_CHAPTER_PREFIX = re.compile(r"^\s*(chapter|cap[ií]tulo|chapitre|kapitel|capitolo)\s+[\divxlc]+\b\W*", re.I)
_FOOTNOTE_ID = re.compile(r'((?:id="|href="#)fn(?:ref)?-[^":]*):(\d+)')


def base_language(language: str) -> str:
    return (language or "en").split("-")[0].split("_")[0].lower()


def label(language: str, key: str) -> str:
    """A front-matter label ("Contents", "Chapter") in the book's language, English otherwise."""
    return _LABELS.get(base_language(language), _LABELS["en"])[key]


def typeset(text: str, language: str = "en") -> str:
    """A plain-text title with the typography the body text gets: curly quotes, apostrophes, dashes, ellipses."""
    quotes = _QUOTES.get(base_language(language), _QUOTES["en"])
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    text = re.sub(r"(?<=\w)'(?=\w)", "\u2019", text)
    text = re.sub(r'"([^"]*)"', lambda m: f"{quotes[0]}{m[1]}{quotes[1]}", text)
    return re.sub(r"(?<!\w)'([^']*)'(?!\w)", lambda m: f"{quotes[2]}{m[1]}{quotes[3]}", text)


def typeset_manuscript(m: Manuscript) -> Manuscript:
    """The manuscript with its title, subtitle and chapter titles typeset for print."""
    chapters = tuple(replace(c, title=typeset(c.title, m.language)) for c in m.chapters)
    return replace(m, title=typeset(m.title, m.language), subtitle=typeset(m.subtitle, m.language), chapters=chapters)


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    if tag == "a" and attr == "href" and not value.startswith("#"):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    attributes=_ATTRIBUTES,
    allowed_classes=_CLASSES,
    attribute_filter=_keep_attribute,
    link_rel=None,
    strip_comments=True,
    clean_content_tags={"script", "style"},
)


@lru_cache(maxsize=16)
def _parser(language: str) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.options["quotes"] = _QUOTES.get(language, _QUOTES["en"])
    md.enable(["replacements", "smartquotes"]).use(footnote_plugin)
    if language in _DIALOGUE_DASH:
        md.core.ruler.before("replacements", "dialogue_dash", _dialogue_dashes)
    md.add_render_rule("hr", lambda *_: '<hr class="scene-break" />\n')
    md.add_render_rule("image", lambda _renderer, tokens, idx, *_: escape(tokens[idx].content))
    return md


def _dialogue_dashes(state) -> None:
    """Spanish-style dialogue: a typed `-`/`--` that opens or closes a speech is a raya (em dash)."""
    for block in state.tokens:
        for token in block.children or ():
            if token.type == "text" and "-" in token.content:
                token.content = _CLOSING_DASH.sub("\u2014", _OPENING_DASH.sub("\u2014", token.content))


def _normal(text: str) -> str:
    return re.sub(r"\W+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def reshape_headings(tokens: list[Token], title: str) -> list[Token]:
    """Chapter text uses h2-h4 (the chapter's own h1 is the exporter's), minus a repeated title."""
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and title:
        heading = _normal(_CHAPTER_PREFIX.sub("", tokens[1].content))
        if heading in ("", _normal(title)):
            tokens = tokens[3:]
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(max(int(token.tag[1]), 2), 4)}"
    return tokens


def markdown_to_xhtml(markdown: str, *, language: str = "en", doc_id: str = "", title: str = "") -> str:
    """Sanitized XHTML for one chapter's Markdown. `doc_id` keeps footnote ids unique per book."""
    md = _parser(base_language(language))
    env = {"docId": doc_id} if doc_id else {}
    source = _SCENE_BREAK.sub("***", markdown or "")
    tokens = reshape_headings(md.parse(source, env), title)
    html = md.renderer.render(tokens, md.options, env)
    return to_xhtml(_CLEANER.clean(html))


def to_xhtml(html: str) -> str:
    """nh3 serializes HTML5; EPUB needs XML: self-closed void tags and no named entities."""
    html = _VOID.sub(lambda m: f"<{m[1]}{m[2] or ''}/>", html)
    html = html.replace("&nbsp;", "&#160;").replace("\u21a9\ufe0e", "\u21a9")
    return _FOOTNOTE_ID.sub(r"\1-\2", html)


def parse_fragment(xhtml: str) -> ET.Element:
    """The fragment as an element tree under a `<div>`, for exporters that walk it."""
    return ET.fromstring(f"<div>{xhtml}</div>")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
