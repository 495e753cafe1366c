"""Filters for streamed chunk text: strip the writer's <summary> block, release whole sentences only."""
from __future__ import annotations

import re

OPEN, CLOSE = "<summary>", "</summary>"
_BOUNDARY = re.compile(r"[.!?…][»\"”’')\]*_]*(?=\s)|\n")
_LAST_END = re.compile(r"[.!?…][»\"”’')\]*_]*(?=\s|$)")


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that could be the start of `tag`."""
    for k in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-k:]):
            return k
    return 0


class SummaryFilter:
    """Splits a stream into visible text and the `<summary>…</summary>` block the writer appends.

    Text that could be the start of the opening tag is held back until it is known not to be.
    """

    def __init__(self) -> None:
        self._pending = ""
        self._summary: list[str] = []
        self.inside = False
        self.closed = False

    def feed(self, delta: str) -> str:
        self._pending += delta
        visible: list[str] = []
        while True:
            tag = CLOSE if self.inside else OPEN
            at = self._pending.find(tag)
            if at >= 0:
                (self._summary if self.inside else visible).append(self._pending[:at])
                self._pending = self._pending[at + len(tag):]
                self.closed = self.closed or self.inside
                self.inside = not self.inside
                continue
            keep = _partial_suffix(self._pending, tag)
            (self._summary if self.inside else visible).append(self._pending[: len(self._pending) - keep])
            self._pending = self._pending[len(self._pending) - keep:]
            return "".join(visible)

    def finish(self) -> str:
        """The visible text still held back, once the stream has ended."""
        rest, self._pending = self._pending, ""
        if self.inside:
            self._summary.append(rest)
            return ""
        return rest

    @property
    def summary(self) -> str:
        return " ".join("".join(self._summary).split())


class SentenceGate:
    """Releases text only up to the last sentence end (or line end), so a cut never shows half a sentence."""

    def __init__(self) -> None:
        self.held = ""

    def feed(self, text: str) -> str:
        self.held += text
        ends = [m.end() for m in _BOUNDARY.finditer(self.held)]
        if not ends:
            return ""
        released, self.held = self.held[: ends[-1]], self.held[ends[-1]:]
        return released

    def flush(self) -> str:
        """The stream ended naturally: release everything."""
        released, self.held = self.held, ""
        return released

    def cut(self) -> str:
        """The stream was cut: release through the last complete sentence, drop the fragment after it."""
        ends = [m.end() for m in _LAST_END.finditer(self.held)]
        released = self.held[: ends[-1]] if ends else ""
        self.held = ""
        return released


def trim_to_sentence(text: str) -> str:
    """`text` up to its last sentence end (all of it when it has none)."""
    ends = [m.end() for m in _LAST_END.finditer(text)]
    return text[: ends[-1]] if ends else text
