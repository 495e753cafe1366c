"""The author's cover: validation, deterministic defaults and suggestions, and the exports using it."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest
from PIL import Image

from buko.adapters.export.cover import PillowCoverRenderer
from buko.domain.books.cover import Cover, InvalidCover, default_cover, suggest_covers
from buko.domain.errors import InvalidTransition
from tests.fixtures.spanish_book import spanish_book


def test_a_cover_refuses_bad_colours_layouts_and_multiline_titles():
    for bad in (dict(background="red"), dict(layout="spiral"), dict(typography="comic"), dict(title="a\nb"),
                dict(title=" "), dict(subtitle="x" * 201)):
        with pytest.raises(InvalidCover):
            Cover(**{"title": "A title", **bad})
    assert Cover.from_dict(Cover("T", layout="frame").as_dict()) == Cover("T", layout="frame")


def test_defaults_and_suggestions_are_deterministic_and_distinct():
    assert default_cover("Bees", "", "Ana") == default_cover("Bees", "", "Ana")
    first = suggest_covers("Bees", "Sub", "Ana", "A synopsis about bees.")
    assert first == suggest_covers("Bees", "Sub", "Ana", "A synopsis about bees.")
    assert len(first) == 3 and len({c.palette for c in first}) == 3
    assert all(c.title == "Bees" and c.author == "Ana" for c in first)


def test_the_exported_cover_follows_the_design():
    book = spanish_book()
    design = Cover(book.title, book.subtitle, "Otra Firma", background="#102030", ink="#ffffff", accent="#ff0000",
                   typography="sans", layout="frame")
    plain = Image.open(io.BytesIO(PillowCoverRenderer().render(book))).convert("RGB")
    drawn = Image.open(io.BytesIO(PillowCoverRenderer().render(replace(book, cover=design)))).convert("RGB")
    assert drawn.getpixel((800, 1200)) == (16, 32, 48) != plain.getpixel((800, 1200))
    assert drawn.getpixel((800, 20)) == (255, 0, 0)  # the accent band at the top


def test_a_book_gets_a_cover_only_once_planned():
    from datetime import datetime, timezone

    from buko.domain.books.book import Book
    from buko.domain.books.brief import Brief

    book = Book("b1", "u1", Brief(idea="A book about balcony bees"), datetime.now(timezone.utc))
    with pytest.raises(InvalidTransition):
        book.design_cover(Cover("T"))
