"""What the author sees of the model: waits during planning, failure reasons without "retrying"."""
import asyncio
import io
import logging

from rich.console import Console

from buko.application.books.patience import give_up_reason
from buko.application.ports import ModelUnavailable
from buko.entrypoints.progress import EventPump, next_terminal


async def _events(*events):
    for event in events:
        yield event


def test_planning_shows_that_the_model_is_unavailable():
    out = io.StringIO()
    console = Console(file=out, width=200)
    events = _events({"type": "planning"}, {"type": "waiting", "reason": "Claude is unavailable (circuit open)",
                                            "retry_after": 29.2}, {"type": "planned"})

    async def follow():
        return await next_terminal(EventPump(events), {"planned"}, 5, console)

    outcome = asyncio.run(follow())
    assert outcome["type"] == "planned"
    assert "The model is unavailable (Claude is unavailable (circuit open)); waiting 29 s." in out.getvalue()


def test_a_book_that_gave_up_says_why_without_promising_a_retry():
    reason = give_up_reason("writing", ModelUnavailable("Claude is unavailable (circuit open)", 29), 1800)
    assert reason == ("writing stopped: the model stayed unavailable for more than 1800 s "
                      "(Claude is unavailable (circuit open))")
    assert "retrying" not in reason
    assert give_up_reason("planning", ValueError("bad"), 1800) == "planning failed: bad"


async def test_failures_reach_the_log_as_one_line_not_a_traceback(app, caplog):
    from tests.unit.test_use_cases import planned, stored

    app.llm.plan_failures = 1
    with caplog.at_level(logging.INFO):
        book_id = await planned(app)
    assert stored(app, book_id).failure == "planning failed: model unavailable"
    errors = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("buko.application")]
    assert errors and all(r.exc_info is None for r in errors)
