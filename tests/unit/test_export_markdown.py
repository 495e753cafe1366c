"""The Markdown export: one file, chapter titles as `#` headings, the author's text otherwise as written."""
from markdown_it import MarkdownIt

from buko.adapters.export.markdown import MarkdownExporter, chapter_markdown
from buko.domain.books.manuscript import ManuscriptChapter
from tests.fixtures.spanish_book import spanish_book


def h1_titles(text: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(text.split("\n---\n", 1)[1])
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h1"]


def test_title_block_and_one_h1_per_chapter():
    book = spanish_book(words_per_chapter=60, chapters=3)
    text = MarkdownExporter().render(book, b"").decode()
    assert text.startswith('---\ntitle: "La hija del farero: ¿un año sin luz?"\n')
    assert 'subtitle: "Una novela de sal y silencio"\n' in text
    assert 'author: "Begoña Núñez"\nlang: "es"\n' in text
    assert h1_titles(text) == [c.title for c in book.chapters]


def test_chapter_headings_are_demoted_the_repeated_title_dropped_and_footnotes_made_unique():
    chapter = ManuscriptChapter(4, "The Storm", "# Chapter 4: The Storm\n\nText[^1].\n\nPart\n====\n\n"
                                                 "```\n# not a heading [^1]\n```\n\n[^1]: A note.")
    out = chapter_markdown(chapter)
    assert out.startswith("Text[^c4-1].") and "## Part" in out and "====" not in out
    assert "# not a heading [^1]" in out and "[^c4-1]: A note." in out


def test_titles_with_markdown_punctuation_stay_literal():
    book = spanish_book(words_per_chapter=30, chapters=1)
    odd = "C# & *stars* [1]"
    book = type(book)(**{**book.__dict__, "chapters": (ManuscriptChapter(1, odd, "Texto."),)})
    text = MarkdownExporter().render(book, b"").decode()
    [heading] = h1_titles(text)
    assert MarkdownIt().renderInline(heading) == "C# &amp; *stars* [1]"


def test_raw_html_from_the_model_is_escaped_outside_code():
    chapter = ManuscriptChapter(1, "Uno", 'Hola <script>alert(1)</script> y 3 < 4.\n\n```\n<b>code</b>\n```')
    text = chapter_markdown(chapter)
    assert "<script>" not in text and "&lt;script>" in text and "3 < 4" in text
    assert "<b>code</b>" in text


def test_inline_code_that_crosses_a_line_end_stays_literal():
    source = "Use `<b>\nbold</b>` and ``a ` <i> `` here, then <u>raw</u>.\n\n> quoted `<q\n> x>` too"
    out = chapter_markdown(ManuscriptChapter(1, "Uno", source))
    html = MarkdownIt("commonmark").render(out)
    assert "<code>&lt;b&gt; bold&lt;/b&gt;</code>" in html and "<code>a ` &lt;i&gt; </code>" in html
    assert "<code>&lt;q x&gt;</code>" in html
    assert "&lt;u&gt;raw&lt;/u&gt;" in html and "&amp;lt;" not in html  # raw HTML escaped once, code untouched
