"""Word budgets that do not add up: scaled to the target instead of rejecting a good architecture.

Models are poor at arithmetic. When the total is the only thing wrong with an architecture, its
section budgets are scaled in proportion to the target, rounded to tidy numbers (multiples of
`STEP` words, never under the minimum section budget), and the rounding remainder is spread over
the sections the rounding moved furthest, so that the total is exactly the target.
"""
from __future__ import annotations

import math
from dataclasses import replace

from buko.domain.books.architecture import MIN_SECTION_WORDS, Architecture

STEP = 10


def only_the_total_is_off(architecture: Architecture, target_words: int) -> bool:
    """True when the architecture is valid except that its budgets do not add up to the target."""
    return bool(architecture.problems(target_words)) and not architecture.problems(target_words, math.inf)


def fit_to_target(architecture: Architecture, target_words: int, step: int = STEP) -> Architecture | None:
    """The architecture with its section budgets scaled to add up to exactly `target_words`;
    None when that cannot be done (no sections, or too many to give each its minimum)."""
    sections = [s for c in architecture.chapters for s in c.sections]
    if not sections or architecture.words <= 0 or len(sections) * MIN_SECTION_WORDS > target_words:
        return None
    factor = target_words / architecture.words
    exact = [s.words * factor for s in sections]
    budgets = [max(MIN_SECTION_WORDS, round(x / step) * step) for x in exact]
    missing = target_words - sum(budgets)
    while missing:
        move = math.copysign(min(step, abs(missing)), missing)
        # Give to the section rounded down the most, or take from the one rounded up the most.
        candidates = [i for i, b in enumerate(budgets) if move > 0 or b + move >= MIN_SECTION_WORDS]
        i = max(candidates, key=lambda k: (exact[k] - budgets[k]) * math.copysign(1, move))
        budgets[i] += int(move)
        missing -= int(move)
    fitted, k = [], 0
    for chapter in architecture.chapters:
        new_sections = []
        for section in chapter.sections:
            new_sections.append(replace(section, words=budgets[k]))
            k += 1
        fitted.append(replace(chapter, sections=tuple(new_sections)))
    return replace(architecture, chapters=tuple(fitted))


def scaling_note(before: int, after: int) -> str:
    return (f"The proposed word budgets added up to {before:,} words, not the {after:,} asked for: "
            f"every section was scaled in proportion to add up to {after:,}.")
