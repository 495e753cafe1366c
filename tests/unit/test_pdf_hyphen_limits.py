"""The hyphenation limits enforced after layout: which split words break them, and how they are kept whole."""
from __future__ import annotations

from buko.adapters.export.hyphenation import LineEnd, Split, line_stats, offending_words, protect

H = "\u2010"  # the hyphen WeasyPrint adds when it splits a word


def line(page: int, last: str, first: str = "Texto", block: tuple[str, int] = ("p", 0)) -> LineEnd:
    return LineEnd(page, block, last, first)


def test_two_hyphens_in_a_row_are_allowed_the_third_is_named():
    lines = [line(0, "la ca" + H), line(0, "minaba hacia el puer" + H, "minaba"),
             line(0, "to cuando la tor" + H, "to"), line(0, "menta llegó", "menta")]
    assert offending_words(lines[:2] + [line(0, "to cuando llegó", "to")]) == set()
    assert offending_words(lines) == {Split("p", 0, "tormenta")}
    assert line_stats(lines) == {"lines": 4, "hyphenated": 3, "max_run": 3, "page_turns": 0}


def test_a_split_word_at_the_foot_of_a_page_is_named_a_hyphen_of_the_text_is_not():
    lines = [line(4, "una noche de invier" + H, block=("p", 7)), line(5, "no tranquila", "no", ("p", 7))]
    assert offending_words(lines) == {Split("p", 7, "invierno")}
    assert line_stats(lines)["page_turns"] == 1
    compound = [line(4, "un hombre bien-"), line(5, "estar general", "estar")]
    assert offending_words(compound) == set()


def test_after_a_named_word_the_run_counts_again():
    lines = [line(0, f"a{i}bc de" + H, "xx") for i in range(6)] + [line(0, "fin.", "fin")]
    assert len(offending_words(lines)) == 2  # lines 3 and 6 of the run of 6


def test_protect_wraps_the_word_only_in_the_block_it_was_split_in():
    html = ("<html><head><title>tormenta</title></head><body><p>Una tormenta.</p>"
            "<p>La <em>gran</em> tormenta y otra tormenta.</p><p>tormenta</p></body></html>")
    out = protect(html, {Split("p", 1, "tormenta")})
    assert out == ("<html><head><title>tormenta</title></head><body><p>Una tormenta.</p>"
                   '<p>La <em>gran</em> <span class="nohy">tormenta</span> y otra tormenta.</p>'
                   "<p>tormenta</p></body></html>")
    assert protect(html, set()) == html


def test_protect_never_touches_markup_or_parts_of_words():
    html = '<body><p><a href="#tormenta" title="tormenta">tormentas</a> tormenta</p></body>'
    assert protect(html, {Split("p", 0, "tormenta")}) == (
        '<body><p><a href="#tormenta" title="tormenta">tormentas</a> <span class="nohy">tormenta</span></p></body>')
