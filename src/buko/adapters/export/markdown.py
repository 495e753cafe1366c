"""Markdown export: one CommonMark file (with a YAML title block pandoc reads) to continue the book elsewhere."""
from __future__ import annotations

import json
import re

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from buko.adapters.export.markup import reshape_headings
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript, ManuscriptChapter

_FOOTNOTE_LABEL = re.compile(r"\[\^([^\]\s]+)\]")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# A code span: a run of backticks to the next run of the same length, across line ends but not a blank line.
_CODE_SPAN = re.compile(r"(`+)(?!`)(?:(?!\n[ \t>]*\n)[\s\S])*?(?<!`)\1(?!`)")
_parser = MarkdownIt("commonmark").use(footnote_plugin)


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def chapter_markdown(chapter: ManuscriptChapter) -> str:
    """The chapter's own text with headings below `#`, its repeated title dropped, footnotes made unique."""
    source = (chapter.markdown or "").strip("\n")
    lines = source.split("\n")
    tokens = _parser.parse(source)
    kept = reshape_headings(tokens, chapter.title)
    dropped = tokens[: len(tokens) - len(kept)]
    skip: set[int] = set()
    for token in dropped:
        if token.map:
            skip.update(range(*token.map))
    replace: dict[int, str] = {}
    for i, token in enumerate(kept):
        if token.type == "heading_open" and token.map and token.level == 0:
            start, end = token.map
            replace[start] = f"{'#' * int(token.tag[1])} {kept[i + 1].content}"
            skip.update(range(start + 1, end))
    fenced = {n for t in tokens if t.type in ("fence", "code_block") and t.map for n in range(*t.map)}
    out: list[str] = []
    prose: list[str] = []  # lines outside code blocks, changed together: a code span may cross a line end

    def flush() -> None:
        if prose:
            out.append(_outside_code("\n".join(prose), lambda text: _TAG_START.sub("&lt;", _FOOTNOTE_LABEL.sub(
                lambda m: f"[^c{chapter.number}-{m[1]}]", text))))  # model text is never raw HTML
            prose.clear()

    for n, line in enumerate(lines):
        if n in skip:
            continue
        line = replace.get(n, line)
        if n in fenced:
            flush()
            out.append(line)
        else:
            prose.append(line)
    flush()
    return "\n".join(out).strip("\n")


class MarkdownExporter(Exporter):
    """Title block, then `# Title` per chapter and the chapter's Markdown as written (UTF-8)."""

    format = "md"
    extension = "md"
    media_type = "text/markdown; charset=utf-8"
    version = "3"

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        m = manuscript.printable()
        front = ["---", f"title: {_yaml(m.title)}"]
        if m.subtitle:
            front.append(f"subtitle: {_yaml(m.subtitle)}")
        front += [f"author: {_yaml(m.byline)}", f"lang: {_yaml(m.language)}", f"date: \"{m.year}\"",
                  f"rights: {_yaml(f'© {m.year} {m.byline}. {m.credit}')}", "---"]
        parts = ["\n".join(front)]
        for chapter in m.chapters:
            body = chapter_markdown(chapter)
            parts.append(f"# {_escape_heading(chapter.title)}" + (f"\n\n{body}" if body else ""))
        return ("\n\n".join(parts) + "\n").encode("utf-8")


def _outside_code(text: str, change) -> str:
    """`change` applied to the text except inside inline code spans, which are literal in Markdown."""
    out, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        out += [change(text[last:span.start()]), span[0]]
        last = span.end()
    return "".join([*out, change(text[last:])])


def _escape_heading(title: str) -> str:
    """The title as literal heading text: Markdown punctuation in it is backslash-escaped."""
    return re.sub(r"([\\`*_\[\]<>#&])", r"\\\1", " ".join(title.split()))
