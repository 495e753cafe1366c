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

from buko.domain.books.manuscript import Manuscript, printable

TAGS = {
    "p", "em", "strong", "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "hr", "br",
    "sup", "sub", "a", "code", "pre", "section", "table", "thead", "tbody", "tr", "th", "td",
}
_ATTRIBUTES = {"a": {"href", "id"}, "li": {"id"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
_CELL_ALIGN = re.compile(r"^text-align:(left|right|center)$")
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
    "en": {"chapter": "Chapter", "contents": "Contents", "cover": "Cover", "title": "Title page",
           "landmarks": "Landmarks", "copyright": "Copyright"},
    "es": {"chapter": "Capítulo", "contents": "Índice", "cover": "Cubierta", "title": "Portada",
           "landmarks": "Puntos de referencia", "copyright": "Créditos"},
    "fr": {"chapter": "Chapitre", "contents": "Table des matières", "cover": "Couverture", "title": "Titre",
           "landmarks": "Repères", "copyright": "Mentions légales"},
    "de": {"chapter": "Kapitel", "contents": "Inhalt", "cover": "Umschlag", "title": "Titelseite",
           "landmarks": "Orientierungspunkte", "copyright": "Impressum"},
    "pt": {"chapter": "Capítulo", "contents": "Sumário", "cover": "Capa", "title": "Folha de rosto",
           "landmarks": "Pontos de referência", "copyright": "Créditos"},
    "it": {"chapter": "Capitolo", "contents": "Indice", "cover": "Copertina", "title": "Frontespizio",
           "landmarks": "Punti di riferimento", "copyright": "Colophon"},
}
_DIALOGUE_DASH = {"es", "pt", "ca", "gl"}
_EM_DASH_PAIRS = {"en"}  # languages where a typed `--` is an em dash (elsewhere markdown-it's en dash stays)
_DOUBLE_HYPHEN = re.compile(r"(?<!-)--(?!-)")
_INCISE_CLOSE = re.compile(r"((?:^|(?<=\s))\u2014[^\u2014\n]*?[\w.,;:!?…»\"])-(?=[\s.,;:!?…»]|$)")
_ELIDED_YEARS = re.compile(r"(?<![\w'])'(?=\d\ds\b)")
_ROCK_N_ROLL = re.compile(r"(?<=\s)'n'(?=\s)", re.I)
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


def _apostrophes(text: str) -> str:
    """Elisions smart quotes get wrong: ’90s, rock ’n’ roll (an apostrophe, never an opening quote)."""
    if "'" not in text:
        return text
    return _ROCK_N_ROLL.sub(lambda m: f"\u2019{m[0][1]}\u2019", _ELIDED_YEARS.sub("\u2019", text))


def typeset(text: str, language: str = "en") -> str:
    """A plain-text title with the typography the body text gets: curly quotes, apostrophes, dashes, ellipses."""
    lang = base_language(language)
    quotes = _QUOTES.get(lang, _QUOTES["en"])
    text = text.replace("---", "\u2014").replace("--", "\u2014" if lang in _EM_DASH_PAIRS else "\u2013")
    text = _apostrophes(text.replace("...", "\u2026"))
    text = re.sub(r"(?<=\w)'(?=\w)", "\u2019", text)
    text = re.sub(r'"([^"]*)"', lambda m: f"{quotes[0]}{m[1]}{quotes[1]}", text)
    return re.sub(r"(?<!\w)'([^']*)'(?!\w)", lambda m: f"{quotes[2]}{m[1]}{quotes[3]}", text)


def typeset_manuscript(m: Manuscript) -> Manuscript:
    """The manuscript every format prints: unprintable characters dropped (once, here), titles typeset,
    the author as the byline ("Anonymous" in the book's language)."""
    m = m.printable()
    chapters = tuple(replace(c, title=typeset(c.title, m.language)) for c in m.chapters)
    return replace(m, title=typeset(m.title, m.language), subtitle=typeset(m.subtitle, m.language),
                   short_title=typeset(m.short_title, m.language), author=m.byline, chapters=chapters)


def bind_short_words(text: str) -> str:
    """A display title whose short words (up to 3 letters) never end a line: "de la ciudad" breaks as a whole."""
    words = text.split(" ")
    out = []
    for i, word in enumerate(words):
        glue = i + 1 < len(words) and len(re.sub(r"\W", "", word)) <= 3
        out.append(word + ("\u00a0" if glue else " "))
    return "".join(out).rstrip(" ")


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    if tag == "a" and attr == "href" and not value.startswith("#"):
        return None
    if attr == "style":  # only the column alignment a pipe table asks for
        return value if _CELL_ALIGN.match(value.replace(" ", "")) else None
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
    md.enable(["replacements", "smartquotes", "table"]).use(footnote_plugin)
    md.core.ruler.before("smartquotes", "apostrophes", _text_rule(_apostrophes))
    if language in _DIALOGUE_DASH:
        md.core.ruler.before("replacements", "dialogue_dash", _text_rule(_dialogue_dashes))
    elif language in _EM_DASH_PAIRS:
        md.core.ruler.before("replacements", "em_dash", _text_rule(lambda text: _DOUBLE_HYPHEN.sub("\u2014", text)))
    md.add_render_rule("hr", lambda *_: '<hr class="scene-break" />\n')
    md.add_render_rule("image", lambda _renderer, tokens, idx, *_: escape(tokens[idx].content))
    return md


def _text_rule(change):
    """A markdown-it core rule applying `change` to every text token (never to code)."""
    def rule(state) -> None:
        for block in state.tokens:
            for token in block.children or ():
                if token.type == "text":
                    token.content = change(token.content)
    return rule


def _dialogue_dashes(text: str) -> str:
    """Spanish-style dialogue: a typed `-`/`--` that opens or closes a speech or an aside is a raya (em dash).

    A single `-` closes only an aside a raya opened (`—preguntó ella-.`), so "pre- y postoperatorio" stays.
    """
    if "-" not in text:
        return text
    text = _CLOSING_DASH.sub("\u2014", _OPENING_DASH.sub("\u2014", text))
    return _INCISE_CLOSE.sub("\\1\u2014", text)


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
    source = _SCENE_BREAK.sub("***", printable(markdown))
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
