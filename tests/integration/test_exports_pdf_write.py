"""The cover's PNG rows go into the PDF as they are (pdf_write.py): the image a reader sees is the cover, pixel
for pixel, and an image the shortcut cannot take (interlaced, with alpha, a palette) still prints right."""
from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image, ImageChops
from pikepdf import PdfImage

from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.pdf import WeasyPrintExporter
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
