"""The exporters Buko offers, keyed by format name."""
from __future__ import annotations

from buko.adapters.export.docx import PythonDocxExporter
from buko.adapters.export.epub import EbookLibExporter
from buko.adapters.export.markdown import MarkdownExporter
from buko.adapters.export.pdf import WeasyPrintExporter
from buko.application.ports import Exporter


def default_exporters(page_size: str | None = None) -> dict[str, Exporter]:
    """PDF, EPUB, DOCX and Markdown. The trim size comes from each book unless `page_size` forces one."""
    exporters: list[Exporter] = [WeasyPrintExporter(page_size), EbookLibExporter(), PythonDocxExporter(),
                                 MarkdownExporter()]
    return {exporter.format: exporter for exporter in exporters}


def print_exporters(page_size: str | None = None, paper: str = "white") -> dict[str, Exporter]:
    """The printer's files: the interior without a cover page, with 3 mm bleed and crop marks, and a separate
    cover spread whose spine is sized from the interior's page count. The reading copy stays `pdf`."""
    from buko.adapters.export.print_cover import PrintCoverExporter

    interior = WeasyPrintExporter(page_size, print_ready=True, bleed=True)
    interior.format = "pdf-print"
    return {"pdf-print": interior, "cover-pdf": PrintCoverExporter(page_size, paper=paper)}
