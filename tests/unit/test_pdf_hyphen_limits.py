"""The hyphenation limits enforced after layout: which split words break them, and how they are kept whole."""
from __future__ import annotations

from buko.adapters.export.hyphenation import LineEnd, Split, line_stats, offending_words, protect

H = "\u2010"  # the hyphen WeasyPrint adds when it splits a word


def lines_of(*texts: str, page: int = 0, block: tuple[str, int] = ("p", 0)) -> list[LineEnd]:
    return [LineEnd(page, block, text) for text in texts]


def test_two_hyphens_in_a_row_are_allowed_the_third_is_named():
    two = lines_of("la ca" + H, "minaba hacia el puer" + H, "to cuando llegó.")
    assert offending_words(two) == set()
    three = lines_of("la ca" + H, "minaba hacia el puer" + H, "to cuando la tor" + H, "menta llegó.")
    assert offending_words(three) == {Split("p", 0, "tormenta", 0)}
    assert line_stats(three) == {"lines": 4, "hyphenated": 3, "max_run": 3, "page_turns": 0}


def test_a_split_word_at_the_foot_of_a_page_is_named_a_hyphen_of_the_text_is_not():
    lines = [LineEnd(4, ("p", 7), "una noche de invier" + H), LineEnd(5, ("p", 7), "no tranquila.")]
    assert offending_words(lines) == {Split("p", 7, "invierno", 0)}
    assert line_stats(lines)["page_turns"] == 1
    compound = [LineEnd(4, ("p", 7), "un hombre bien-"), LineEnd(5, ("p", 7), "estar general.")]
    assert offending_words(compound) == set()


def test_the_occurrence_counts_earlier_lines_of_the_block_and_words_split_on_them():
    lines = [LineEnd(0, ("p", 2), "otro bloque invierno"),
             LineEnd(0, ("p", 3), "El invierno llegó y otro invier" + H),
             LineEnd(0, ("p", 3), "no pasó; un tercer invier" + H),
             LineEnd(1, ("p", 3), "no empezó.")]
    assert offending_words(lines) == {Split("p", 3, "invierno", 2)}


def test_after_a_named_word_the_run_counts_again():
    lines = lines_of(*(f"xx a{i}bcdef" + H for i in range(6)), "fin.")
    assert len(offending_words(lines)) == 2  # lines 3 and 6 of the run of 6


def test_protect_wraps_the_named_occurrence_in_its_block_only():
    html = ("<html><head><title>tormenta</title></head><body><p>Una tormenta.</p>"
            "<p>La <em>gran</em> tormenta y otra tormenta.</p><p>tormenta</p></body></html>")
    assert protect(html, {Split("p", 1, "tormenta", 1)}) == (
        "<html><head><title>tormenta</title></head><body><p>Una tormenta.</p>"
        '<p>La <em>gran</em> tormenta y otra <span class="nohy">tormenta</span>.</p>'
        "<p>tormenta</p></body></html>")
    assert protect(html, {Split("p", 1, "tormenta", 0)}).count('<span class="nohy">tormenta</span> y otra') == 1
    assert protect(html, set()) == html


def test_protect_never_touches_markup_or_parts_of_words():
    html = '<body><p><a href="#tormenta" title="tormenta">tormentas</a> tormenta</p></body>'
    assert protect(html, {Split("p", 0, "tormenta", 0)}) == (
        '<body><p><a href="#tormenta" title="tormenta">tormentas</a> <span class="nohy">tormenta</span></p></body>')
