"""The text of a chunk being written, as a watcher rebuilds it from the live events.

The writer (writing.py) stamps its chunk events with the attempt (the claim's number: a takeover
or a resume is a new attempt) and each delta with `at`, the offset in characters (code points) of
the attempt's text where the delta starts. So a watcher can tell whether the deltas it has make
the attempt's text from its first character with nothing missing: events can be lost when the
live stream was reset (Redis came back empty), and the deltas that follow then continue a text
whose beginning (or whose chunk_started) the watcher never saw. Such a text is a fragment
(`whole` is False): not to be taken for the chunk's text; the stored chunk is the truth.

A worker whose chunk was taken over may still be writing it (it was paused, or cut off from its
heartbeat): its deltas and chunk_restarted carry an attempt lower than the one the watcher follows,
and change nothing (`superseded`); the newer attempt's text stays. Only `rival` records that they
came: the older worker may still be the one that stores the chunk (the stored chunk is the truth).
A chunk_started always starts a claim's text, whatever its number: a claim announces itself before
any takeover of it can happen, and a resumed book counts its chunks' attempts from 1 again.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

STARTS = ("chunk_started", "chunk_restarted")


@dataclass(frozen=True)
class Streamed:
    text: str = ""
    attempt: int | None = None
    end: int = 0  # the offset where the attempt's next delta starts
    whole: bool = True  # `text` is the attempt's text from its first character, with no gap
    rival: bool = False  # an older attempt's events came after this attempt began (and were ignored)


def superseded(current: Streamed | None, event: dict) -> bool:
    """The event (a delta or chunk_restarted) belongs to an attempt older than the one followed."""
    attempt = event.get("attempt")
    return (current is not None and current.attempt is not None and attempt is not None
            and attempt < current.attempt)


def follow(current: Streamed | None, event: dict) -> Streamed | None:
    """`current` after one of the chunk's events (chunk_started, chunk_restarted, delta)."""
    kind = event.get("type")
    if kind == "chunk_started":
        return Streamed(attempt=event.get("attempt"))
    if kind not in ("chunk_restarted", "delta"):
        return current
    if superseded(current, event):  # a taken-over worker still writing: its text is not shown
        return current if current.rival else replace(current, rival=True)
    text, at, attempt = event.get("text", ""), event.get("at"), event.get("attempt")
    rival = current is not None and current.rival and current.attempt == attempt  # kept within an attempt
    if kind == "chunk_restarted":
        return Streamed(attempt=attempt, rival=rival)
    if at is None:  # a writer that does not say where its deltas go: append, as before offsets
        base = current or Streamed(attempt=attempt)
        return replace(base, text=base.text + text, end=base.end + len(text))
    if at == 0:  # an attempt's first delta (even when its chunk_started was lost): the text starts here
        return Streamed(text, attempt, len(text), True, rival)
    if current is not None and current.attempt == attempt and current.end == at:
        return replace(current, text=current.text + text, end=at + len(text))
    # The start of this attempt, or a piece of it, was never seen: what follows is a fragment.
    return Streamed(text, attempt, at + len(text), False, rival)
