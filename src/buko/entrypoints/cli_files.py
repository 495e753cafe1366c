"""Where the CLI put each book's files: names from the title (whole words), never another book's file
overwritten, and a record in the data folder so `buko show` and `buko books` say where they are."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from buko.application.books.exporting import slugify
from buko.application.books.print_edition import file_name

RECORD = "exported-files.json"


class ExportRecord:
    """{absolute path: book id} of every file the CLI exported, kept in BUKO_DATA_DIR."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / RECORD

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _save(self, owners: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(owners, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)

    def owner(self, path: Path) -> str | None:
        return self._load().get(str(path.resolve()))

    def files_of(self, book_id: str) -> list[str]:
        """The files still on disk that were exported for this book."""
        return sorted(p for p, owner in self._load().items() if owner == book_id and Path(p).exists())

    def target(self, out: Path, title: str, fmt: str, book_id: str) -> tuple[Path, str]:
        """The file to write, and a note when the plain name belongs to another book (or to a file
        Buko did not write): then the book's id is added to the name instead of overwriting."""
        plain = out / file_name(slugify(title), fmt)
        for candidate in (plain, plain.with_stem(f"{plain.stem}-{book_id[:8]}"), plain.with_stem(f"{plain.stem}-{book_id}")):
            if not candidate.exists() or self.owner(candidate) == book_id:
                note = "" if candidate == plain else (
                    f"{plain} is another book's file (kept); this book's is {candidate.name}")
                return candidate, note
        raise FileExistsError(f"{plain} and its alternatives exist and belong to other books")

    def copy(self, source: Path, target: Path, book_id: str) -> None:
        shutil.copyfile(source, target)
        owners = self._load()
        owners[str(target.resolve())] = book_id
        self._save(owners)

    def forget(self, book_id: str) -> list[str]:
        """Stop tracking a deleted book's files (the files themselves are the author's: they stay)."""
        owners = self._load()
        kept = {p: owner for p, owner in owners.items() if owner != book_id}
        if kept != owners:
            self._save(kept)
        return sorted(p for p, owner in owners.items() if owner == book_id and Path(p).exists())
