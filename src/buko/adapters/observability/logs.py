"""Structured logs with structlog: JSON lines (or readable text) on stdout, optionally also JSON lines in
a file (the original's logs/structured.jsonl), and Sentry when SENTRY_DSN is set.

Every line, whether it comes from structlog or from the standard `logging` calls across Buko and
its libraries, carries the context bound for the current request or task: request_id, book_id,
task_id, task, queue, user_id. `jq 'select(.book_id=="…")' logs/structured.jsonl` follows one book
from the web request through the queue into the worker and its model calls.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import structlog

bind = structlog.contextvars.bind_contextvars
unbind = structlog.contextvars.unbind_contextvars
clear = structlog.contextvars.clear_contextvars
current = structlog.contextvars.get_contextvars

_MARK = "_buko_handler"


def get_logger(name: str):
    return structlog.stdlib.get_logger(name)


def _shared() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _formatter(renderer) -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            renderer,
        ],
    )


def configure(level: str | int = "INFO", fmt: str = "json", file: str | Path | None = None,
              sentry_dsn: str = "", environment: str = "development") -> None:
    """Route every log line through structlog. `fmt` is "json" or "text" (stdout); `file`, when given,
    receives JSON lines too. Safe to call again (its handlers are replaced, never added twice)."""
    structlog.configure(
        processors=[*_shared(), structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False) or _is_basic(h)]:
        root.removeHandler(handler)
        if isinstance(handler, logging.FileHandler):
            handler.close()
    json_renderer = structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=False)
    stdout = logging.StreamHandler(sys.stdout)
    stdout.setFormatter(_formatter(json_renderer if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)))
    handlers: list[logging.Handler] = [stdout]
    if file:
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(path, encoding="utf-8")
        to_file.setFormatter(_formatter(json_renderer))
        handlers.append(to_file)
    for handler in handlers:
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else logging.getLevelName(str(level).upper()))
    if sentry_dsn:
        _sentry(sentry_dsn, environment)


def _is_basic(handler: logging.Handler) -> bool:
    """The stream handler `logging.basicConfig` installed before the settings were read."""
    return type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, sys.stdout)


def _sentry(dsn: str, environment: str) -> None:
    """Errors (and error log lines) go to Sentry; the request/book/task ids ride along as tags."""
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration

    def with_context(event, _hint):
        tags = event.setdefault("tags", {})
        for key in ("request_id", "book_id", "task_id", "task", "queue", "user_id"):
            value = current().get(key)
            if value is not None:
                tags[key] = str(value)
        return event

    sentry_sdk.init(dsn=dsn, environment=environment, send_default_pii=False, traces_sample_rate=0.0,
                    before_send=with_context,
                    integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)])


def configure_from_settings(settings, *, service: bool, verbose: bool = False) -> None:
    """BUKO_LOG_FORMAT (auto: JSON for `buko serve`/`buko worker`, text for the other commands),
    BUKO_LOG_LEVEL (default INFO for services and -v, else WARNING), BUKO_LOG_FILE, SENTRY_DSN."""
    fmt = settings.log_format if settings.log_format != "auto" else ("json" if service else "text")
    level = settings.log_level.upper() or ("INFO" if service or verbose else "WARNING")
    configure(level, fmt, settings.log_file or None, settings.sentry_dsn.get_secret_value(), settings.environment)
