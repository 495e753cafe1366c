"""The printer's files, one rule for every way in (CLI, API, worker): which files a print edition is, which
option each takes, and what they are called. Cheap to import: the CLI checks its flags with it before any work."""
from __future__ import annotations

from buko.domain.errors import DomainError

INTERIOR, COVER = "pdf-print", "cover-pdf"
PRINT_FORMATS = (INTERIOR, COVER)
PAPERS = ("white", "cream")  # the stock the spine is sized for
DEFAULT_PAPER = "white"
_SUFFIX = {INTERIOR: "-print", COVER: "-cover"}
_EXTENSION = {INTERIOR: "pdf", COVER: "pdf"}


class InvalidExportOptions(DomainError):
    """An option that the file asked for does not take, or a value it does not know."""

    code = "invalid_export_options"


def check_options(fmt: str, bleed: bool = False, paper: str = "") -> None:
    """Bleed (3 mm and crop marks) is an option of the print interior; paper (the spine's thickness) of the
    print cover. The cover always has its bleed: a printer trims it."""
    if bleed and fmt != INTERIOR:
        raise InvalidExportOptions(f"bleed is an option of the print interior ({INTERIOR}), not of {fmt}")
    if paper and fmt != COVER:
        raise InvalidExportOptions(f"paper is an option of the print cover ({COVER}, whose spine it sizes), not of {fmt}")
    if paper and paper not in PAPERS:
        raise InvalidExportOptions(f"unknown paper {paper!r}; use one of {', '.join(PAPERS)}")


def exporter_key(fmt: str, bleed: bool = False, paper: str = "") -> str:
    """The key of the exporter that renders `fmt` with these options (the registry offers one per variant)."""
    if fmt == INTERIOR and bleed:
        return f"{INTERIOR}+bleed"
    if fmt == COVER and paper and paper != DEFAULT_PAPER:
        return f"{COVER}+{paper}"
    return fmt


def variant_keys() -> list[tuple[str, bool, str]]:
    """Every (key, bleed, paper) of the print files, for whoever builds the exporters."""
    return ([(exporter_key(INTERIOR, bleed), bleed, "") for bleed in (False, True)]
            + [(exporter_key(COVER, paper=paper), False, paper) for paper in PAPERS])


def file_name(stem: str, fmt: str) -> str:
    """`stem` + what the file is: `title.epub`, `title-print.pdf` (interior), `title-cover.pdf` (cover spread)."""
    return f"{stem}{_SUFFIX.get(fmt, '')}.{_EXTENSION.get(fmt, fmt)}"


def print_files(bleed: bool = False, paper: str = "") -> list[tuple[str, bool, str]]:
    """A print edition: the interior (with bleed when asked) and the cover spread (for that paper)."""
    files = [(INTERIOR, bleed, ""), (COVER, False, paper)]
    for fmt, file_bleed, file_paper in files:
        check_options(fmt, file_bleed, file_paper)
    return files
