"""Export a written book to a file format, cached by the content it was made from."""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import asdict

from buko.application.books.base import load_book
from buko.application.books.print_edition import check_options, exporter_key, file_name
from buko.application.commands import ExportBook
from buko.application.ports import ArtifactStore, CoverRenderer, Exporter, UnitOfWork
from buko.domain.books.book import BookStatus
from buko.domain.books.manuscript import Manuscript
from buko.domain.errors import DomainError, InvalidTransition


class UnsupportedFormat(DomainError):
    code = "unsupported_format"


# One lock per file being rendered; weak, so it goes away when no request holds it.
_RENDERING: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


class ExportBookHandler:
    """Renders from the stored chunks; the same text and cover give the same cached file.

    The file name carries a hash of the manuscript, the exporter and the cover renderer (and
    their versions), so a change of text, front matter, trim size or cover makes a new file
    and anything else is served from the ArtifactStore. Concurrent requests for one file in
    this process render it once.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        exporters: dict[str, Exporter],
        cover: CoverRenderer,
        artifacts: ArtifactStore,
    ):
        self.uow, self.exporters, self.cover, self.artifacts = uow, exporters, cover, artifacts

    async def _target(self, cmd: ExportBook) -> tuple[Exporter, Manuscript, str]:
        if cmd.format not in self.exporters or "+" in cmd.format:  # `+`: a variant's key, not a format
            known = sorted(fmt for fmt in self.exporters if "+" not in fmt)
            raise UnsupportedFormat(f"unknown format {cmd.format!r}; use one of {', '.join(known)}")
        check_options(cmd.format, cmd.bleed, cmd.paper)
        exporter = self.exporters.get(exporter_key(cmd.format, cmd.bleed, cmd.paper))
        if exporter is None:
            raise UnsupportedFormat(f"{cmd.format} is not offered with bleed={cmd.bleed}, paper={cmd.paper!r} here")
        book = await load_book(self.uow, cmd.book_id)
        if book.status is not BookStatus.WRITTEN:
            raise InvalidTransition(f"only a written book can be exported; this one is {book.status.value}")
        manuscript = Manuscript.from_book(book)
        key = content_key(manuscript, exporter, self.cover)
        stem = file_name(slugify(manuscript.title), cmd.format).rsplit(".", 1)[0]
        return exporter, manuscript, f"{stem}-{key}.{exporter.extension}"

    async def cached(self, cmd: ExportBook) -> tuple[str, str | None]:
        """The file name for the book's current text, and its location if it was rendered already
        (nothing is rendered here)."""
        _exporter, _manuscript, name = await self._target(cmd)
        return name, await self.artifacts.find(cmd.book_id, name)

    async def __call__(self, cmd: ExportBook) -> str:
        exporter, manuscript, name = await self._target(cmd)
        lock = _RENDERING.get(f"{cmd.book_id}/{name}")
        if lock is None:
            lock = _RENDERING[f"{cmd.book_id}/{name}"] = asyncio.Lock()
        async with lock:
            found = await self.artifacts.find(cmd.book_id, name)
            if found:
                return found
            cover = await asyncio.to_thread(self.cover.render, manuscript)
            data = await asyncio.to_thread(exporter.render, manuscript, cover)
            return await self.artifacts.put(cmd.book_id, name, data)


def _identity(component: object) -> list[str]:
    kind = type(component)
    return [f"{kind.__module__}.{kind.__qualname__}", str(getattr(component, "version", ""))]


def content_key(manuscript: Manuscript, exporter: Exporter, cover: CoverRenderer | None = None) -> str:
    """A short hash of everything the file is made from: text, front matter, exporter and cover renderer."""
    parts = [asdict(manuscript), exporter.format, _identity(exporter), _identity(cover) if cover else None]
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:16]  # hostile text hashes too


def slugify(title: str, limit: int = 60) -> str:
    """`¿Qué es el Jardín?` -> `que-es-el-jardin`: whole words only, never cut mid-word or ending in a hyphen."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > limit:
            break
        slug = longer
    return slug or (words[0][:limit] if words else "book")
