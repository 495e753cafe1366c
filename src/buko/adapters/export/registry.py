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
