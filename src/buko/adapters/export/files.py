"""Exported files on the local disk, one folder per book."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from pathlib import Path

from buko.application.ports import ArtifactStore

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class FileArtifactStore(ArtifactStore):
    """Stores `<root>/<book_id>/<name>`, written atomically; blocking I/O runs in a thread."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, book_id: str, name: str) -> Path:
        for part in (book_id, name):
            if not _SAFE_NAME.match(part) or ".." in part:
                raise ValueError(f"unsafe artifact path component: {part!r}")
        return self.root / book_id / name

    async def find(self, book_id: str, name: str) -> str | None:
        path = self._path(book_id, name)
        return str(path) if await asyncio.to_thread(path.is_file) else None

    async def remove_all(self, book_id: str) -> None:
        folder = self._path(book_id, "x").parent
        await asyncio.to_thread(shutil.rmtree, folder, True)

    async def put(self, book_id: str, name: str, data: bytes) -> str:
        path = self._path(book_id, name)
        await asyncio.to_thread(self._write, path, data)
        return str(path)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
