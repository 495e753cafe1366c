"""Decorators of ports that measure what passes through them: the language model, the mailer, exporters.

They wrap whichever adapter the configuration chose (Claude, the offline writer, a test's fake),
so every model call is counted the same way: Prometheus metrics, one log line, one ledger row.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime

from buko.adapters.observability import logs, metrics
from buko.application.operations.ports import ModelCall, ModelCallLedger
from buko.application.ports import (
    ArchitectureRequest,
    ArchitectureResult,
    ChunkRequest,
    ChunkResult,
    LanguageModel,
    Mailer,
    ModelUnavailable,
    RestartSink,
    TextSink,
    no_restart,
    spent_on,
)
from buko.domain.books.usage import Usage

log = logging.getLogger("buko.model")
events = logs.get_logger("buko.model")


class InstrumentedLanguageModel(LanguageModel):
    def __init__(self, inner: LanguageModel, ledger: ModelCallLedger | None = None):
        self.inner, self.ledger = inner, ledger

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def demo(self) -> bool:
        return self.inner.demo

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def architect(self, request: ArchitectureRequest) -> ArchitectureResult:
        started, first = time.monotonic(), [None]
        try:
            result = await self.inner.architect(request)
        except BaseException as failure:
            await self._done("plan", started, first[0], spent_on(failure), failure=failure)
            raise
        await self._done("plan", started, None, result.usage)
        return result

    async def write(self, request: ChunkRequest, on_text: TextSink, on_restart: RestartSink = no_restart) -> ChunkResult:
        started, first = time.monotonic(), [None]

        async def timed(delta: str) -> None:
            if first[0] is None:
                first[0] = time.monotonic() - started
            await on_text(delta)

        where = {"book_id": request.book_id, "chunk_index": request.chunk.index}
        try:
            result = await self.inner.write(request, timed, on_restart)
        except BaseException as failure:
            await self._done("chunk", started, first[0], spent_on(failure), failure=failure, **where)
            raise
        await self._done("chunk", started, first[0], result.usage, words=len(result.text.split()), **where)
        return result

    async def _done(self, kind: str, started: float, first_token: float | None, usage: Usage, *,
                    failure: BaseException | None = None, words: int = 0, book_id: str = "",
                    chunk_index: int | None = None) -> None:
        seconds = time.monotonic() - started
        if failure is None:
            outcome, error = "ok", ""
        elif isinstance(failure, asyncio.CancelledError):
            outcome, error = "cancelled", "cancelled (the worker is stopping)"
        elif isinstance(failure, ModelUnavailable):
            outcome, error = "unavailable", str(failure)
        else:
            outcome, error = "error", f"{type(failure).__name__}: {failure}"[:2000]
        model = self.name
        metrics.MODEL_CALLS.labels(model, kind, outcome).inc()
        metrics.MODEL_REQUESTS.labels(model).inc(usage.calls)
        for kind_of_token in ("input", "output", "thinking", "cache_read", "cache_write"):
            count = getattr(usage, f"{kind_of_token}_tokens")
            if count:
                metrics.MODEL_TOKENS.labels(model, kind_of_token).inc(count)
        if usage.cost_usd:
            metrics.MODEL_COST.labels(model).inc(usage.cost_usd)
        if first_token is not None:
            metrics.FIRST_TOKEN_SECONDS.labels(model, kind).observe(first_token)
        generating = seconds - (first_token or 0.0)
        if outcome == "ok" and usage.output_tokens and generating > 0:
            metrics.TOKENS_PER_SECOND.labels(model, kind).observe(usage.output_tokens / generating)
        if kind == "chunk":
            metrics.CHUNK_SECONDS.labels(model, outcome).observe(seconds)
        book_id = book_id or str(logs.current().get("book_id", ""))
        call = ModelCall(
            id=uuid.uuid4().hex, at=datetime.now(UTC), model=model, kind=kind, outcome=outcome,
            seconds=round(seconds, 4), book_id=book_id, chunk_index=chunk_index,
            first_token_seconds=round(first_token, 4) if first_token is not None else None,
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, thinking_tokens=usage.thinking_tokens,
            cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
            cost_usd=usage.cost_usd, api_requests=usage.calls, words=words, error=error,
        )
        events.log(
            logging.INFO if outcome == "ok" else logging.WARNING, "model call",
            model=model, kind=kind, outcome=outcome, book_id=book_id, chunk_index=chunk_index,
            seconds=call.seconds, first_token_seconds=call.first_token_seconds, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, cache_read_tokens=usage.cache_read_tokens, cost_usd=usage.cost_usd,
            words=words, error=error or None)
        if self.ledger is not None and outcome != "cancelled":
            try:
                await asyncio.shield(self.ledger.record(call))
            except Exception:  # the ledger is for the dashboard: losing a row must not fail the book
                log.warning("could not record a model call in the ledger", exc_info=True)


class InstrumentedMailer(Mailer):
    def __init__(self, inner: Mailer):
        self.inner = inner

    async def send(self, to: str, subject: str, body: str, html: str = "", headers: dict | None = None) -> None:
        try:
            await self.inner.send(to, subject, body, html=html, headers=headers)
        except BaseException:
            metrics.EMAILS.labels("failed").inc()
            raise
        metrics.EMAILS.labels("sent").inc()

    def __getattr__(self, name):  # the outbox of the in-memory mailer, for tests and the CLI
        return getattr(self.inner, name)


def observe_exporters(exporters: dict) -> dict:
    """Time each exporter's `render`. The exporters stay the same objects (their identity is part of
    the exported files' cache keys): only this process's instances get a timed `render`."""
    for fmt, exporter in exporters.items():
        if getattr(exporter, "_buko_timed", False):
            continue
        exporter.render = _timed(fmt, exporter.render)
        exporter._buko_timed = True
    return exporters


def _timed(fmt: str, render):
    def timed(manuscript, cover_png):
        started = time.monotonic()
        try:
            data = render(manuscript, cover_png)
        except BaseException:
            metrics.EXPORT_SECONDS.labels(fmt, "failed").observe(time.monotonic() - started)
            raise
        metrics.EXPORT_SECONDS.labels(fmt, "ok").observe(time.monotonic() - started)
        return data

    return timed
