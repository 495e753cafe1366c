"""The architecture tool's input becomes the domain's Architecture, with every problem named."""
import copy

from buko.adapters.llm.claude.schema import ARCHITECTURE_TOOL, TOOL_NAME, to_architecture
from buko.domain.books.brief import Brief

BRIEF = Brief(idea="A field guide to the tide pools of Patagonia", target_words=2_000, chapter_count=2,
              audience="curious walkers", tone="warm")
VALID = {
    "title": "Pools at Low Tide", "subtitle": "A walker's guide", "synopsis": "What lives between the tides.",
    "style_guide": "Second person, present tense.",
    "bible": {"characters": [], "key_terms": ["intertidal"], "facts": ["Tides turn twice a day."]},
    "chapters": [
        {"number": 1, "title": "Reading the Tide", "summary": "When to go.",
         "sections": [{"title": "Tables", "summary": "Tide tables.", "words": 500},
                      {"title": "Safety", "summary": "Rogue waves.", "words": 500}]},
        {"number": 2, "title": "Anemones", "summary": "The flowers that bite.",
         "sections": [{"title": "Colours", "summary": "Why red.", "words": 1000}]},
    ],
}


def test_tool_is_named_and_requires_the_whole_architecture():
    assert ARCHITECTURE_TOOL["name"] == TOOL_NAME
    assert {"title", "chapters", "bible"} <= set(ARCHITECTURE_TOOL["input_schema"]["required"])


def test_valid_input_converts_with_the_brief_fields():
    arch, problems = to_architecture(VALID, BRIEF)
    assert problems == []
    assert arch.title == "Pools at Low Tide" and arch.words == 2_000
    assert (arch.audience, arch.tone, arch.language) == ("curious walkers", "warm", "en")
    assert arch.chapters[0].sections[1].title == "Safety"


def test_placeholders_numbering_budgets_and_chapter_count_are_reported():
    bad = copy.deepcopy(VALID)
    bad["title"] = "TBD"
    bad["chapters"][1]["title"] = "Chapter 2"
    bad["chapters"][1]["number"] = 3
    bad["chapters"][1]["sections"][0]["words"] = 3000
    bad["chapters"].append(copy.deepcopy(VALID["chapters"][0]) | {"number": 4, "title": "Crabs"})
    _, problems = to_architecture(bad, BRIEF)
    text = "\n".join(problems)
    assert "book title is empty or a placeholder" in text
    assert "placeholder: 'Chapter 2'" in text
    assert "numbering must be continuous" in text
    assert "word budgets add up to" in text
    assert "exactly 2 chapters" in text


def test_missing_or_malformed_input_is_a_problem_not_a_crash():
    assert to_architecture(None, BRIEF)[1] == [f"call the {TOOL_NAME} tool with the whole architecture as its input"]
    assert to_architecture({"title": "X"}, BRIEF)[1] == ["'chapters' is missing"]
    broken = copy.deepcopy(VALID)
    broken["chapters"][0]["sections"][0]["words"] = "many"
    assert "chapter 1, section 1" in to_architecture(broken, BRIEF)[1][0]
    no_title = copy.deepcopy(VALID)
    del no_title["chapters"][0]["sections"][0]["title"]
    arch, problems = to_architecture(no_title, BRIEF)
    assert arch is None and "malformed" in problems[0]
