"""What an export could not do perfectly, said out loud: logged, and returned for whoever shows a report."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from buko.adapters.export import fonts
from buko.domain.books.manuscript import Manuscript

log = logging.getLogger("buko.export")
_SHOWN = 20


@dataclass(frozen=True)
class ExportReport:
    """Warnings about one export of one book (empty when nothing was lost)."""

    book_id: str
    format: str
    missing_glyphs: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        if not self.missing_glyphs:
            return []
        shown = " ".join(f"U+{ord(c):04X}" for c in self.missing_glyphs[:_SHOWN])
        more = f" and {len(self.missing_glyphs) - _SHOWN} more" if len(self.missing_glyphs) > _SHOWN else ""
        return [f"{len(self.missing_glyphs)} character(s) have no font on this system and print as empty boxes "
                f"in the {self.format.upper()}: {shown}{more}"]


def manuscript_text(m: Manuscript) -> str:
    return "\n".join([m.title, m.subtitle, m.author, m.credit, *(f"{c.title}\n{c.markdown}" for c in m.chapters)])


def check(m: Manuscript, fmt: str) -> ExportReport:
    """The report for exporting `m` as `fmt` on this machine (fonts only matter where they are embedded)."""
    return ExportReport(m.book_id, fmt, tuple(fonts.missing_glyphs(manuscript_text(m.printable()))))


def warn_missing_glyphs(m: Manuscript, fmt: str) -> ExportReport:
    report = check(m, fmt)
    for warning in report.warnings:
        log.warning("book %s: %s", m.book_id, warning)
    return report
