"""While the model cannot be reached, the author is told once what fails, for how long Buko keeps
trying and how to stop, instead of a log WARNING every few seconds (`buko -v` shows the log)."""
from __future__ import annotations

import logging
import os
import sys
import time

from buko.entrypoints.cli_interrupt import current_book

RETRY_LOGGER = "buko.adapters.llm.claude.resilience"
MODEL_LOGGER = "buko.model"
REPEAT_SECONDS = 300.0  # the same failure is told again after this long


class ModelFailureNotice(logging.Handler):
    def __init__(self, settings, stream=None):
        super().__init__(logging.WARNING)
        self.url = settings.anthropic_base_url or os.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com"
        self.max_wait = settings.model_max_wait_seconds
        self.stream = stream
        self._told: dict[str, float] = {}

    def line(self, error: BaseException | str) -> str:
        kind = type(error).__name__ if isinstance(error, BaseException) else str(error)
        detail = str(error) if isinstance(error, BaseException) else ""
        book = current_book()
        resume = f"`buko resume {book[:8]}`" if book else "`buko resume ID`"
        minutes = self.max_wait / 60
        return (f"buko: the model API at {self.url} fails: {kind}" + (f" ({detail})" if detail else "")
                + f". Buko keeps trying for up to {minutes:.0f} min (BUKO_MODEL_MAX_WAIT_SECONDS); "
                f"Ctrl-C stops, {resume} continues later.")

    def emit(self, record: logging.LogRecord) -> None:
        error = record.args[0] if isinstance(record.args, tuple) and record.args else record.getMessage()
        kind = type(error).__name__ if isinstance(error, BaseException) else str(error)
        now = time.monotonic()
        if now - self._told.get(kind, -REPEAT_SECONDS) < REPEAT_SECONDS:
            return
        self._told[kind] = now
        print(self.line(error), file=self.stream or sys.stderr, flush=True)


def install(settings) -> ModelFailureNotice:
    """For the author's verbs without -v: retries become one line; per-call warnings stay in -v."""
    notice = ModelFailureNotice(settings)
    retries = logging.getLogger(RETRY_LOGGER)
    retries.addHandler(notice)
    retries.propagate = False
    logging.getLogger(MODEL_LOGGER).setLevel(logging.ERROR)
    return notice
