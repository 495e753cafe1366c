"""The exporters Buko offers, keyed by format name (and, for the printer's files, by variant)."""
from __future__ import annotations

from buko.adapters.export.docx import PythonDocxExporter
from buko.adapters.export.epub import EbookLibExporter
from buko.adapters.export.markdown import MarkdownExporter
from buko.adapters.export.pdf import WeasyPrintExporter
from buko.application.books.print_edition import COVER, INTERIOR, variant_keys
from buko.application.ports import Exporter


def default_exporters(page_size: str | None = None) -> dict[str, Exporter]:
    """PDF, EPUB, DOCX and Markdown. The trim size comes from each book unless `page_size` forces one."""
    exporters: list[Exporter] = [WeasyPrintExporter(page_size), EbookLibExporter(), PythonDocxExporter(),
                                 MarkdownExporter()]
    return {exporter.format: exporter for exporter in exporters}


def print_interior(page_size: str | None = None, bleed: bool = True) -> WeasyPrintExporter:
    """The printer's interior: no cover page; with `bleed`, 3 mm of bleed and crop marks."""
    from buko.adapters.export.print_cover import PrintInteriorExporter

    return PrintInteriorExporter(page_size, bleed=bleed)


def print_exporters(page_size: str | None = None, paper: str = "white", bleed: bool = True) -> dict[str, Exporter]:
    """The printer's files: the interior without a cover page (with 3 mm bleed and crop marks unless
    `bleed=False`), and a separate cover spread whose spine is sized from the interior's page count."""
    from buko.adapters.export.print_cover import PrintCoverExporter

    return {INTERIOR: print_interior(page_size, bleed), COVER: PrintCoverExporter(page_size, paper=paper)}


def all_exporters(page_size: str | None = None) -> dict[str, Exporter]:
    """The reading formats and every variant of the printer's files, keyed as print_edition.exporter_key says
    (`pdf-print`, `pdf-print+bleed`, `cover-pdf`, `cover-pdf+cream`). Building them renders nothing."""
    from buko.adapters.export.print_cover import PrintCoverExporter

    exporters = default_exporters(page_size)
    for key, bleed, paper in variant_keys():
        exporters[key] = (print_interior(page_size, bleed) if key.startswith(INTERIOR)
                          else PrintCoverExporter(page_size, paper=paper or "white"))
    return exporters
