"""The cover's PNG rows go into the PDF as they are (pdf_write.py): the image a reader sees is the cover, pixel
for pixel, and an image the shortcut cannot take (interlaced, with alpha, a palette) still prints right. Objects
serialized once per PDF written give the same file, in one process and in parts."""
from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image, ImageChops
from pikepdf import PdfImage

from buko.adapters.export import pdf_write
from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.pdf import WeasyPrintExporter
from tests.fixtures.hostile_book import hostile_book
from tests.fixtures.spanish_book import spanish_book


def _images(data: bytes) -> list[Image.Image]:
    pdf = pikepdf.open(io.BytesIO(data))
    return [PdfImage(image).as_pil_image() for page in pdf.pages[:1] for image in page.images.values()]


def _png(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def _same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None


@pytest.fixture(scope="module")
def book():
    return spanish_book(words_per_chapter=300, chapters=1)


def test_the_cover_page_shows_the_cover_pixel_for_pixel(book):
    cover = PillowCoverRenderer().render(book)
    [shown] = _images(WeasyPrintExporter(processes=1).render(book, cover))
    assert _same(shown, Image.open(io.BytesIO(cover)))


@pytest.mark.parametrize("options", [{"mode": "RGB", "interlace": True}, {"mode": "RGBA"}, {"mode": "L"},
                                     {"mode": "P"}])
def test_other_kinds_of_png_print_right_too(book, options):
    mode = options.pop("mode")
    picture = Image.open(io.BytesIO(PillowCoverRenderer().render(book))).convert("RGB").resize((300, 425))
    picture = picture.convert(mode)
    [shown] = _images(WeasyPrintExporter(processes=1).render(book, _png(picture, **options)))
    assert _same(shown, picture)


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("make", [lambda: spanish_book(words_per_chapter=2600, chapters=3), hostile_book],
                         ids=["spanish", "hostile"])
def test_objects_serialized_once_give_the_same_pdf(make, processes, monkeypatch):
    book = make()
    cover = PillowCoverRenderer().render(book)
    exporter = WeasyPrintExporter(processes=processes)
    serialized = []
    stream_data = pdf_write.pydyf.Stream.data.fget.__wrapped__  # pydyf's own

    def counting(self):
        serialized.append(id(self))
        return stream_data(self)

    monkeypatch.setattr(pdf_write.pydyf.Stream, "data", pdf_write._serialized_once(property(counting)))
    once = exporter.render(book, cover)
    once_count = len(serialized)
    monkeypatch.setattr(pdf_write, "WRITE_ONCE", False)
    assert once == exporter.render(book, cover)
    if processes == 1:  # (parts are written in worker processes: their counts are not seen here)
        assert len(serialized) - once_count > 1.5 * once_count  # without: every stream compressed twice
