"""Running heads and folios as PDF artifacts, not content (PDF/UA: repeated page furniture is not text).

WeasyPrint 70 draws margin-box text as marked content with an MCID and builds structure elements for it
that are linked nowhere (its comment: an Artifact in the structure tree needs PDF 2.0). Two small patches,
active only for documents this module prepares, draw that text inside `/Artifact BMC … EMC` instead and
leave it out of the structure tree. Checked by tests/integration/test_exports_typesetting.py.
"""
from __future__ import annotations

from contextlib import contextmanager

from weasyprint.formatting_structure import boxes
from weasyprint.pdf import stream as pdf_stream
from weasyprint.pdf import tags as pdf_tags

_ARTIFACT = "_buko_artifact"
_marked = pdf_stream.Stream.marked
_build_box_tree = pdf_tags._build_box_tree


@contextmanager
def _marked_or_artifact(self, box, tag):
    if getattr(box, _ARTIFACT, False):
        with self.artifact():
            yield
    else:
        with _marked(self, box, tag):
            yield


def _tree_without_artifacts(box, *args, **kwargs):
    if isinstance(box, boxes.MarginBox) and getattr(box, _ARTIFACT, False):
        return  # drawn as an artifact: nothing to map in the structure tree
    yield from _build_box_tree(box, *args, **kwargs)


pdf_stream.Stream.marked = _marked_or_artifact
pdf_tags._build_box_tree = _tree_without_artifacts


def mark_page_furniture(document) -> None:
    """Flags every margin box (running head, folio) of a laid-out document, and all it contains, as artifact."""
    for page in document.pages:
        for child in page._page_box.children:
            if isinstance(child, boxes.MarginBox):
                setattr(child, _ARTIFACT, True)
                for box in child.descendants():
                    setattr(box, _ARTIFACT, True)
