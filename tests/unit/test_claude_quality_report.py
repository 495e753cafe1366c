"""The quality report on a fixture book, against figures computed by hand (see the comments);
and budgets that only miss the target, scaled by the domain rule."""
import pytest

from buko.domain.books.architecture import Architecture, Bible, Chapter, Section
from buko.domain.books.budgets import fit_to_target, only_the_total_is_off
from buko.domain.books.chunks import Chunk, ChunkPart, ChunkStatus
from buko.domain.books.quality import QualityReport, assess, length_score, readability, syllables


def arch(*chapters) -> Architecture:
    return Architecture("A fixture", "", "syn", "all", "calm", "en", "plain", Bible(), tuple(chapters))


FIXTURE = arch(
    Chapter(1, "Cats", "s", (Section("Alpha", "s", 20), Section("Beta", "s", 4))),
    Chapter(2, "Fish", "s", (Section("Gamma", "s", 8),)),
)
CAT = "The cat sat on the mat today."


def chunk(index, chapter, parts, text) -> Chunk:
    return Chunk(index, chapter, tuple(ChunkPart(no, title, "s", 1) for no, title in parts), ChunkStatus.DONE, text)


def fixture_chunks(first="## Alpha\n\n{c} {c} Dogs run.\n\n## **Beta**\n\nA bird sang a song.".format(c=CAT)):
    return [chunk(0, 1, [(1, "Alpha"), (2, "Beta")], first),
            chunk(1, 2, [(1, "Gamma")], f"## Gamma\n\n{CAT} Fish swim fast.")]


def test_the_report_equals_the_hand_computed_figures():
    r = assess(FIXTURE, fixture_chunks(), "en")
    # Words (headings excluded): Alpha 7+7+2 = 16, Beta 5, Gamma 7+3 = 10.
    assert [(s.title, s.actual_words, s.heading_found) for s in r.sections] == [
        ("Alpha", 16, True), ("Beta", 5, True), ("Gamma", 10, True)]
    # x=20, y=16: 100(1 - (20/16 - 1)/2) = 87.5; x=4, y=5: 100(1 - (5/4 - 1)/3) = 91.67; x=8, y=10: 91.67.
    assert [s.length_score for s in r.sections] == [87.5, 91.67, 91.67]
    assert r.mean_section_length_score == 90.28  # (87.5 + 91.67 + 91.67) / 3
    assert [c.length_score for c in r.chapters] == [92.86, 91.67]  # 24 vs 21; 8 vs 10
    assert (r.target_words, r.actual_words, r.length_score) == (32, 31, 98.39)  # 100(1 - (32/31 - 1)/2)
    # Sentences of 5+ words: chapter 1 has the cat sentence twice (1 repeat); it is also in chapter 2.
    assert [c.repeated_sentences for c in r.chapters] == [1, 0]
    assert (r.repeated_sentences_within_chapters, r.repeated_sentences_across_chapters) == (1, 1)
    # 4-grams: chapter 1 has 18 (14 distinct), chapter 2 has 7 (7 distinct); 4 are in both.
    assert [c.ngram_repetition for c in r.chapters] == [pytest.approx(1 - 14 / 18, abs=1e-4), 0.0]
    assert r.ngram_repetition_within_chapters == 0.16  # (18 - 14 + 0) / (18 + 7)
    assert [c.ngram_overlap_with_others for c in r.chapters] == [pytest.approx(4 / 14, abs=1e-4), pytest.approx(4 / 7, abs=1e-4)]
    assert r.ngram_repetition_across_chapters == pytest.approx(8 / 21, abs=1e-4)
    assert r.outline_adherence == 100.0 and r.titles_missing_or_out_of_order == ()
    # Flesch: 31 words, 6 sentences, 34 syllables (the cat sentence 8 each, x3; dogs run 2; a bird
    # sang a song 5; fish swim fast 3): 206.835 - 1.015 * 31/6 - 84.6 * 34/31 = 108.80.
    assert r.readability_formula == "flesch" and r.readability == 108.8
    assert [c.readability for c in r.chapters] == [108.85, 108.7]  # 21 w / 4 s / 23 syl; 10 / 2 / 11
    assert QualityReport.from_dict(r.as_dict()) == r


def test_outline_adherence_counts_missing_and_out_of_order_titles():
    swapped = f"## Beta\n\nA bird sang a song.\n\n## Alpha\n\n{CAT}"
    r = assess(FIXTURE, fixture_chunks(swapped), "en")
    assert r.outline_adherence == 80.0  # of 5 titles (2 chapters, 3 sections) one of Alpha/Beta is out of order
    assert len(r.titles_missing_or_out_of_order) == 1
    unwritten = assess(FIXTURE, fixture_chunks()[:1], "en")
    assert "chapter 2: Fish" in unwritten.titles_missing_or_out_of_order
    assert unwritten.outline_adherence == 60.0  # chapter 1, Alpha, Beta found; chapter 2 and Gamma not
    assert [s.actual_words for s in unwritten.sections][-1] == 0 and unwritten.sections[-1].length_score == 0


def test_length_score_is_longbench_writes():
    assert length_score(1000, 1000) == 100
    assert length_score(1000, 4000) == 0 and length_score(1000, 2500) == pytest.approx(50)
    assert length_score(1000, 500) == pytest.approx(50) and length_score(1000, 0) == 0


def test_spanish_syllables_and_fernandez_huerta():
    assert [syllables(w, "es") for w in ("leó", "tierra", "país", "perro", "pan")] == [2, 2, 2, 2, 1]
    # 4 words, 6 syllables, 1 sentence: 206.84 - 0.60 * 150 - 1.02 * 25 = 91.34
    assert readability("El perro come pan.", "es") == pytest.approx(91.34)
    assert [syllables(w) for w in ("table", "make", "today", "the")] == [2, 1, 2, 1]


def test_budgets_that_only_miss_the_total_are_scaled_tidily_to_exactly_the_target():
    proposed = arch(
        Chapter(1, "One", "s", (Section("A", "s", 1234), Section("B", "s", 777))),
        Chapter(2, "Two", "s", (Section("C", "s", 3001), Section("D", "s", 55))),
    )
    assert only_the_total_is_off(proposed, 9_000)  # 5,067 proposed: 44 % short
    fitted = fit_to_target(proposed, 9_000)
    words = [s.words for c in fitted.chapters for s in c.sections]
    assert sum(words) == 9_000 and all(w % 10 == 0 for w in words) and all(w >= 50 for w in words)
    assert words == [2190, 1380, 5330, 100]  # 1234 x 1.776... = 2191.8 -> 2190, and so on
    assert not fitted.problems(9_000)
    assert sum(s.words for c in fit_to_target(proposed, 9_005).chapters for s in c.sections) == 9_005
    placeholder = arch(Chapter(1, "TBD", "s", (Section("A", "s", 100),)))
    assert not only_the_total_is_off(placeholder, 9_000)  # other problems: not a matter of arithmetic
    assert fit_to_target(proposed, 150) is None  # four sections cannot each keep 50 words in 150


def test_sections_sharing_a_title_are_matched_in_turn():
    twins = arch(Chapter(1, "Cats", "s", (Section("Alpha", "s", 5), Section("Alpha", "s", 5))))
    text = "## Alpha\n\nOne two three four five.\n\n## Alpha\n\nSix seven eight nine ten eleven."
    r = assess(twins, [chunk(0, 1, [(1, "Alpha"), (2, "Alpha")], text)], "en")
    assert [s.actual_words for s in r.sections] == [5, 6] and r.outline_adherence == 100.0
