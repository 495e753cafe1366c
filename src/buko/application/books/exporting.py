"""Export a written book to a file format, cached by the content it was made from."""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict

from buko.application.books.base import load_book
from buko.application.commands import ExportBook
from buko.application.ports import ArtifactStore, CoverRenderer, Exporter, UnitOfWork
from buko.domain.books.book import BookStatus
from buko.domain.books.manuscript import Manuscript
from buko.domain.errors import DomainError, InvalidTransition


class UnsupportedFormat(DomainError):
    code = "unsupported_format"


class ExportBookHandler:
    """Renders from the stored chunks; the same text and cover give the same cached file."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        exporters: dict[str, Exporter],
        cover: CoverRenderer,
        artifacts: ArtifactStore,
    ):
        self.uow, self.exporters, self.cover, self.artifacts = uow, exporters, cover, artifacts

    async def __call__(self, cmd: ExportBook) -> str:
        exporter = self.exporters.get(cmd.format)
        if exporter is None:
            raise UnsupportedFormat(f"unknown format {cmd.format!r}; use one of {', '.join(sorted(self.exporters))}")
        book = await load_book(self.uow, cmd.book_id)
        if book.status is not BookStatus.WRITTEN:
            raise InvalidTransition(f"only a written book can be exported; this one is {book.status.value}")
        manuscript = Manuscript.from_book(book)
        name = f"{slugify(manuscript.title)}-{content_key(manuscript, exporter)}.{exporter.extension}"
        found = await self.artifacts.find(book.id, name)
        if found:
            return found
        cover = await asyncio.to_thread(self.cover.render, manuscript)
        data = await asyncio.to_thread(exporter.render, manuscript, cover)
        return await self.artifacts.put(book.id, name, data)


def content_key(manuscript: Manuscript, exporter: Exporter) -> str:
    payload = json.dumps([asdict(manuscript), exporter.format, type(exporter).__name__], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or "book"
