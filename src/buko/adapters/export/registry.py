"""The exporters Buko offers, keyed by format name."""
from __future__ import annotations

from buko.adapters.export.docx import PythonDocxExporter
from buko.adapters.export.epub import EbookLibExporter
from buko.adapters.export.pdf import WeasyPrintExporter
from buko.application.ports import Exporter


def default_exporters(page_size: str = "A5") -> dict[str, Exporter]:
    exporters: list[Exporter] = [WeasyPrintExporter(page_size), EbookLibExporter(), PythonDocxExporter()]
    return {exporter.format: exporter for exporter in exporters}
