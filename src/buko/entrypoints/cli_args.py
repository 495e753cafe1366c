"""Argument types and checks of the `buko` command: everything a command line can get wrong is
found here, before a database, a queue or a model is touched (exit code 2).

Cheap to import on purpose: only the domain's pure rules, so a bad argument answers at once.
"""
from __future__ import annotations

import argparse
import os
import re
import tempfile
from pathlib import Path

from buko.domain.books.book import MAX_LANES
from buko.domain.books.brief import MAX_CHAPTERS, MAX_WORDS, MIN_CHAPTERS, MIN_WORDS, Brief
from buko.domain.errors import InvalidBrief

FORMATS = ("pdf", "epub", "docx", "md")
DEFAULT_FORMATS = ("pdf", "epub", "docx")  # md on request
DEFAULT_OUT = Path("buko-out")

# What a book in each language says when the author does not say otherwise.
LANGUAGE_DEFAULTS = {
    "en": {"genre": "non-fiction", "audience": "general readers", "tone": "clear and engaging", "author": "Anonymous"},
    "es": {"genre": "no ficción", "audience": "lectores en general", "tone": "claro y ameno", "author": "Anónimo"},
}

# The brief's field names as the author typed them on the command line.
_FLAG_OF = {
    "idea": "the idea", "genre": "--genre", "audience": "--audience", "tone": "--tone", "language": "--lang",
    "target_words": "--words", "chapter_count": "--chapters", "style_sample": "--style-sample",
    "author": "--author", "trim_size": "--trim-size",
}
_FIELD = re.compile(r"\b(" + "|".join(_FLAG_OF) + r")\b")


class UsageError(Exception):
    """The command line cannot be carried out as written (exit code 2); nothing was done."""


def bounded(low: int, high: int):
    """An argparse type: a whole number from `low` to `high`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value

    parse.__name__ = "number"
    return parse


chapters = bounded(MIN_CHAPTERS, MAX_CHAPTERS)
words = bounded(MIN_WORDS, MAX_WORDS)
lanes = bounded(1, MAX_LANES)


def formats(text: str) -> list[str]:
    """`pdf, epub,pdf` -> ["pdf", "epub"]: spaces and repeats ignored, order kept."""
    chosen: list[str] = []
    for part in text.split(","):
        name = part.strip().lower().lstrip(".")
        if name and name not in chosen:
            chosen.append(name)
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(map(repr, unknown))}; choose from {','.join(FORMATS)} (comma-separated)")
    if not chosen:
        raise argparse.ArgumentTypeError(f"name at least one format: {','.join(FORMATS)}")
    return chosen


def check_print(args) -> None:
    """--bleed and --paper shape the printer's files, which come beside the reading PDF: they need --print,
    and --print needs pdf among the formats."""
    if not getattr(args, "print_edition", False):
        given = [flag for flag, value in (("--bleed", args.bleed), ("--paper", args.paper)) if value]
        if given:
            verb = "shape" if len(given) > 1 else "shapes"
            raise UsageError(f"{' and '.join(given)} {verb} the printer's files: add --print")
    elif "pdf" not in args.formats:
        raise UsageError("--print makes the printer's PDFs beside the reading copy: add pdf to --formats "
                         f"(e.g. --formats {','.join(['pdf', *args.formats])} --print)")


def book_ref(text: str) -> str:
    """A book id or a unique prefix of one (at least 4 characters, as `buko books` shows them)."""
    ref = text.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{4,32}", ref):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a book id: give the id `buko books` shows, or its first 4 or more characters")
    return ref


def check_out_dir(path: Path, flag: str = "--out") -> Path:
    """The export folder must be a folder this process can write: checked now, not after the book.
    A folder that does not exist yet is tried (made, probed, removed again), so nothing is left behind."""
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path} is a file, not a folder")
    made: list[Path] = []
    probe = path
    while not probe.exists():
        made.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{flag} {path}: {probe} is a file, not a folder")
    try:
        for folder in reversed(made):
            folder.mkdir()
        handle, name = tempfile.mkstemp(prefix=".buko-probe-", dir=path)
        os.close(handle)
        os.unlink(name)
    except OSError as refused:
        raise UsageError(f"{flag} {path} is not a folder Buko can write to ({refused.strerror or refused})") from None
    finally:
        for folder in made:
            try:
                folder.rmdir()
            except OSError:
                pass
    return path


def brief_from(args) -> Brief:
    """The domain's Brief from the flags; its refusals are told in the flags' words."""
    defaults = LANGUAGE_DEFAULTS.get(args.lang, LANGUAGE_DEFAULTS["en"])
    try:
        return Brief(
            idea=args.idea, genre=args.genre or defaults["genre"], audience=args.audience or defaults["audience"],
            tone=args.tone or defaults["tone"], language=args.lang, target_words=args.words,
            chapter_count=args.chapters, author=args.author or defaults["author"], trim_size=args.trim_size,
            style_sample=read_sample(args.style_sample),
        )
    except InvalidBrief as refused:
        raise UsageError(in_flags_words(str(refused))) from None


def in_flags_words(message: str) -> str:
    """`target_words must be between …` -> `--words must be between …`."""
    return _FIELD.sub(lambda m: _FLAG_OF[m.group(1)], message)


def read_sample(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.expanduser().read_text(encoding="utf-8")
    except IsADirectoryError:
        raise UsageError(f"--style-sample {path} is a folder; give a text file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--style-sample {path} is not UTF-8 text") from None
    except OSError as unreadable:
        raise UsageError(f"cannot read the style sample {path}: {unreadable.strerror or unreadable}") from None
