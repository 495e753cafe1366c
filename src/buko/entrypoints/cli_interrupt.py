"""Ctrl-C in the `buko` command: one line naming the real book, never a wall of tracebacks.

The first Ctrl-C silences the log (the in-process workers report their cancelled tasks as they
stop), cancels the command and lets it close the database and the queues; the chunks being
written are given back, so `buko resume ID` continues from the last finished one. A second
Ctrl-C leaves at once.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Coroutine

INTERRUPTED = 130
_current: dict[str, str | None] = {"book_id": None}


def working_on(book_id: str) -> None:
    """The book this command is about: named in the line Ctrl-C prints."""
    _current["book_id"] = book_id


def current_book() -> str | None:
    return _current["book_id"]


def interrupted_line(book_id: str | None) -> str:
    if book_id is None:
        return "buko: interrupted"
    return f"buko: interrupted; book {book_id} is kept, continue it with: buko resume {book_id}"


def run(main: Coroutine) -> int:
    """asyncio.run(main) with the one-line Ctrl-C; returns main's exit code (130 when interrupted)."""
    with asyncio.Runner() as runner:
        task = None
        pressed = []

        def on_interrupt() -> None:
            if pressed:
                print("\n" + interrupted_line(current_book()), file=sys.stderr, flush=True)
                os._exit(INTERRUPTED)
            pressed.append(True)
            # From here on the only thing to say is the one line: the in-process workers' cancelled
            # tasks (logged, or reported as they are garbage-collected at exit) are expected.
            logging.disable(logging.CRITICAL)
            sys.unraisablehook = lambda _unraisable: None
            # aiosqlite's connection threads may finish a query after the loop has closed and fail to
            # hand back its result ("Event loop is closed"): nothing is lost, the line stays the last word.
            threading.excepthook = lambda _args: None
            warnings.simplefilter("ignore")  # "coroutine … was never awaited" of cancelled work
            if task is not None:
                task.cancel()

        loop = runner.get_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, on_interrupt)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests): Ctrl-C as usual
            pass
        task = loop.create_task(main)
        try:
            return runner.run(_wait(task))
        except (asyncio.CancelledError, KeyboardInterrupt):
            if not pressed and not task.cancelled():
                raise
        finally:
            if not loop.is_closed():
                loop.remove_signal_handler(signal.SIGINT)
    gc.collect()  # what the cancelled tasks leave is collected now, silently, not after the line
    print("\n" + interrupted_line(current_book()), file=sys.stderr, flush=True)
    return INTERRUPTED


async def _wait(task: asyncio.Task) -> int:
    return await task
