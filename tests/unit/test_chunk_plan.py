import pytest

from buko.domain.books.architecture import Architecture, Bible, Chapter, Section
from buko.domain.books.chunks import count_words, plan_chunks


def arch_of(*chapters: list[int]) -> Architecture:
    return Architecture(
        title="T", subtitle="", synopsis="", audience="", tone="", language="en", style_guide="", bible=Bible(),
        chapters=tuple(
            Chapter(n, f"Chapter title {n}", "", tuple(Section(f"S{n}.{i}", "", w) for i, w in enumerate(words, 1)))
            for n, words in enumerate(chapters, 1)
        ),
    )


def test_small_sections_share_a_chunk_within_the_ceiling():
    chunks = plan_chunks(arch_of([300, 300, 300, 300]), ceiling=1000)
    assert [c.target_words for c in chunks] == [900, 300]
    assert [[p.section_no for p in c.parts] for c in chunks] == [[1, 2, 3], [4]]


def test_many_tiny_sections():
    chunks = plan_chunks(arch_of([50] * 40), ceiling=1000)
    assert [c.target_words for c in chunks] == [1000, 1000]
    assert sum(len(c.parts) for c in chunks) == 40


def test_one_huge_section_is_split_in_even_parts():
    chunks = plan_chunks(arch_of([10_000]), ceiling=2500)
    assert [c.target_words for c in chunks] == [2500] * 4
    assert [(c.parts[0].part, c.parts[0].parts) for c in chunks] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_budgets_that_do_not_divide_keep_every_word():
    chunks = plan_chunks(arch_of([1001], [2503, 7]), ceiling=500)
    assert sum(c.target_words for c in chunks) == 1001 + 2503 + 7
    assert all(c.target_words <= 500 for c in chunks)
    assert [c.target_words for c in chunks if c.chapter_number == 1] == [334, 334, 333]


def test_chunks_never_span_chapters_and_are_numbered_in_order():
    chunks = plan_chunks(arch_of([100], [100], [100]), ceiling=5000)
    assert [c.chapter_number for c in chunks] == [1, 2, 3]
    assert [c.index for c in chunks] == [0, 1, 2]
    assert all(c.opens_chapter for c in chunks)


def test_section_exactly_at_ceiling_is_one_chunk():
    chunks = plan_chunks(arch_of([1000, 1000]), ceiling=1000)
    assert [c.target_words for c in chunks] == [1000, 1000]


def test_ceiling_must_be_sensible():
    with pytest.raises(ValueError):
        plan_chunks(arch_of([100]), ceiling=10)


def test_count_words_handles_punctuation_and_accents():
    assert count_words("¡Hola, señora! ¿Qué tal?  It's a well-known fact.") == 8


def test_control_characters_never_reach_stored_text():
    from buko.domain.books.chunks import clean_text

    assert clean_text("ok\x01 text\x0b\n\tend\ufffe") == "ok text\n\tend"
