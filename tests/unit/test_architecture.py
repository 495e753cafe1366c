import pytest

from buko.domain.books.architecture import Architecture, is_placeholder
from buko.domain.errors import InvalidArchitecture
from tests.unit.fakes import sample_architecture


@pytest.mark.parametrize(
    "title", ["", "   ", "TBD", "tba", "Untitled", "Chapter 1", "Chapter 1: Chapter 1", "Capítulo 3", "...", "Section 2 - TBD"]
)
def test_placeholder_titles_are_recognised(title):
    assert is_placeholder(title)


@pytest.mark.parametrize("title", ["The Soil", "Chapter 1: Soil", "Capítulo 2: La semilla", "1984 Revisited"])
def test_real_titles_are_not_placeholders(title):
    assert not is_placeholder(title)


def test_a_sound_architecture_has_no_problems():
    arch = sample_architecture(chapters=3, words_per_section=500)
    assert arch.words == 3000
    assert arch.problems(3000) == []
    assert arch.validate(3100) is arch


def test_budgets_must_add_up_to_the_target_within_tolerance():
    arch = sample_architecture(chapters=3, words_per_section=500)
    assert arch.problems(3300) == []  # 10 % tolerance
    (problem,) = arch.problems(4000)
    assert "add up to 3000, not 4000" in problem


def test_validation_lists_every_problem():
    data = sample_architecture().as_dict()
    data["title"] = "TBD"
    data["chapters"][1]["number"] = 5
    data["chapters"][2]["title"] = "Chapter 3: Chapter 3"
    data["chapters"][0]["sections"][0]["title"] = ""
    data["chapters"][0]["sections"][1]["words"] = 10
    with pytest.raises(InvalidArchitecture) as refused:
        Architecture.from_dict(data).validate(2500)
    problems = refused.value.problems
    assert any("book title" in p for p in problems)
    assert any("numbered 5" in p for p in problems)
    assert any("chapter 3 title" in p for p in problems)
    assert any("section 1 title" in p for p in problems)
    assert any("at least 50 words" in p for p in problems)


def test_chapters_need_sections_and_distinct_titles():
    data = sample_architecture().as_dict()
    data["chapters"][1]["title"] = data["chapters"][0]["title"]
    data["chapters"][2]["sections"] = []
    problems = Architecture.from_dict(data).problems(2000, tolerance=1)
    assert "chapter titles must be distinct" in problems
    assert any("chapter 3 has no sections" in p for p in problems)


def test_empty_architecture_is_invalid():
    arch = Architecture.from_dict({"title": "A Book", "chapters": []})
    assert "the book has no chapters" in arch.problems(1000)


def test_round_trip_through_dict():
    arch = sample_architecture()
    assert Architecture.from_dict(arch.as_dict()) == arch
    assert "1. Chapter 1: Soil" in arch.outline()


def test_titles_are_single_lines_and_texts_have_limits():
    data = sample_architecture().as_dict()
    data["title"] = "Evil\nSubject: spam"
    data["chapters"][0]["summary"] = "s" * 2001
    data["chapters"][1]["sections"] = [dict(data["chapters"][1]["sections"][0], words=10)] * 31
    problems = Architecture.from_dict(data).problems(2000, tolerance=10)
    assert "book title must be one line of at most 200 characters" in problems
    assert "chapter 1 summary must be at most 2000 characters" in problems
    assert "chapter 2 has more than 30 sections" in problems
