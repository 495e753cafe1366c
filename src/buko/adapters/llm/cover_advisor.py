"""Cover suggestions without a model: deterministic proposals from the title and synopsis."""
from __future__ import annotations

from buko.application.ports import CoverAdvisor
from buko.domain.books.cover import Cover, suggest_covers


class OfflineCoverAdvisor(CoverAdvisor):
    """The same book always gets the same proposals; no model is asked (labelled as such)."""

    name, demo = "offline cover advisor", True

    async def suggest(self, title: str, subtitle: str, author: str, synopsis: str, language: str) -> list[Cover]:
        return suggest_covers(title, subtitle, author, synopsis)
