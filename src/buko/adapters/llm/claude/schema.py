"""The architecture tool Claude fills in, and its conversion into the domain's Architecture."""
from __future__ import annotations

from typing import Any

from buko.domain.books.architecture import Architecture
from buko.domain.books.brief import Brief
from buko.domain.books.budgets import fit_to_target, only_the_total_is_off

TOOL_NAME = "record_architecture"
_TEXT = {"type": "string", "minLength": 1}
_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}

ARCHITECTURE_TOOL: dict[str, Any] = {
    "name": TOOL_NAME,
    "description": (
        "Record the complete architecture of the book: title, synopsis, style guide, a bible of what must "
        "stay consistent, and every chapter with its sections, each with what it must cover and a word "
        "budget. Budgets must add up to the target length. No placeholder titles."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "title": _TEXT,
            "subtitle": {"type": "string"},
            "synopsis": _TEXT,
            "style_guide": {**_TEXT, "description": "How the book is written: voice, tense, person, rhythm."},
            "bible": {
                "type": "object",
                "properties": {"characters": _LIST, "key_terms": _LIST, "facts": _LIST},
                "required": ["characters", "key_terms", "facts"],
            },
            "chapters": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "integer", "minimum": 1},
                        "title": _TEXT,
                        "summary": _TEXT,
                        "sections": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "properties": {
                                    "title": _TEXT,
                                    "summary": {**_TEXT, "description": "What this section must cover."},
                                    "words": {"type": "integer", "minimum": 50},
                                },
                                "required": ["title", "summary", "words"],
                            },
                        },
                    },
                    "required": ["number", "title", "summary", "sections"],
                },
            },
        },
        "required": ["title", "synopsis", "style_guide", "bible", "chapters"],
    },
}


def to_architecture(data: Any, brief: Brief) -> tuple[Architecture | None, list[str]]:
    """The architecture in a tool input, with everything wrong with it (empty list when valid)."""
    if not isinstance(data, dict):
        return None, [f"call the {TOOL_NAME} tool with the whole architecture as its input"]
    shape = _shape_problems(data)
    if shape:
        return None, shape
    merged = {**data, "audience": brief.audience, "tone": brief.tone, "language": brief.language}
    try:
        architecture = Architecture.from_dict(merged)
    except (KeyError, TypeError, ValueError) as broken:
        return None, [f"the architecture is malformed: {broken!r}"]
    problems = architecture.problems(brief.target_words)
    if only_the_total_is_off(architecture, brief.target_words) and fit_to_target(architecture, brief.target_words):
        problems = []  # the book scales the budgets to the target (a domain rule): no call is spent on sums
    if len(architecture.chapters) != brief.chapter_count:
        problems.append(f"the book must have exactly {brief.chapter_count} chapters, not {len(architecture.chapters)}")
    return architecture, problems


def _shape_problems(data: dict) -> list[str]:
    found = [f"'{key}' is missing" for key in ("title", "chapters") if key not in data]
    if not isinstance(data.get("chapters", []), list):
        found.append("'chapters' must be a list")
        return found
    for i, chapter in enumerate(data.get("chapters", []), start=1):
        if not isinstance(chapter, dict) or not isinstance(chapter.get("sections"), list):
            found.append(f"chapter {i} must be an object with a list of sections")
            continue
        for j, section in enumerate(chapter["sections"], start=1):
            if not isinstance(section, dict) or not isinstance(section.get("words"), (int, float)):
                found.append(f"chapter {i}, section {j} needs a title, a summary and a whole number of words")
    bible = data.get("bible", {})
    if not isinstance(bible, dict) or any(not isinstance(bible.get(k, []), list) for k in ("characters", "key_terms", "facts")):
        found.append("'bible' must have lists of characters, key_terms and facts")
    return found
