"""An off-total architecture is scaled, not failed; a written book carries its stored quality report."""
from __future__ import annotations

import pytest

from buko.adapters.llm.claude.schema import TOOL_NAME
from buko.domain.books.brief import Brief
from tests.integration.test_claude_book import assert_complete_without_repeats, settings_for, write_whole_book
from tests.support.anthropic_stub import AnthropicStub, Reply, _texts
from tests.support.claude_replies import architecture

pytestmark = pytest.mark.asyncio
BRIEF = Brief(idea="Ferrymen of the great delta", genre="history", target_words=3_000, chapter_count=3)


def generous(req: dict) -> Reply | None:
    """An architecture whose budgets add up to 40 % more than asked (and nothing else wrong)."""
    if not req.get("tools"):
        return None
    data = architecture(3_000, 3, "en", " ".join(t for t, _ in _texts(req))[:500])
    for chapter in data["chapters"]:
        for section in chapter["sections"]:
            section["words"] = round(section["words"] * 1.4)
    return Reply(tool_name=TOOL_NAME, tool_input=data)


async def test_an_off_total_architecture_is_scaled_and_the_written_book_is_measured(tmp_path):
    async with AnthropicStub(responder=generous) as stub:
        book, seen = await write_whole_book(settings_for(stub, tmp_path, claude_architecture_attempts=1), BRIEF)
    assert len([r for r in stub.requests if r.json.get("tools")]) == 1  # no call spent on arithmetic
    assert book.architecture.words == 3_000
    assert "4,200 words" in book.planning_note and "3,000" in book.planning_note
    assert_complete_without_repeats(book, seen)
    report = book.quality  # loaded from the database
    assert report is not None and report.readability_formula == "flesch"
    assert len(report.sections) == sum(len(c.sections) for c in book.architecture.chapters)
    assert report.outline_adherence == 100.0 and not report.titles_missing_or_out_of_order
    assert report.actual_words == sum(s.actual_words for s in report.sections)
    assert report.length_score > 90 and all(s.heading_found for s in report.sections)
