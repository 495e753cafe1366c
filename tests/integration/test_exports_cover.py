"""The cover picks its faces from the system: Latin text is drawn with the book face without reading its
character map (the slow part of a cover), other scripts with a face that has them (never empty boxes)."""
from __future__ import annotations

from dataclasses import replace

from buko.adapters.export import cover as cover_module
from buko.adapters.export import fonts
from buko.adapters.export.cover import PillowCoverRenderer
from tests.fixtures.hostile_book import hostile_book
from tests.fixtures.spanish_book import spanish_book


def test_latin_covers_need_no_character_map_and_look_the_same_as_with_one(monkeypatch):
    books = [spanish_book(words_per_chapter=10, chapters=1), hostile_book("es"),
             replace(hostile_book(), title="Œuvres — “Ça” ‹va› … €5 ‘ŀ’ Ŧ", author="Łukasz Ødegård")]
    fonts._cmap.cache_clear()
    quick = [PillowCoverRenderer().render(book) for book in books]
    assert fonts._cmap.cache_info().currsize == 0
    monkeypatch.setattr(cover_module, "_face", fonts.covering)  # every text looked up in the font
    assert [PillowCoverRenderer().render(book) for book in books] == quick


def test_a_cjk_title_is_drawn_with_a_face_that_has_it(monkeypatch):
    opened = []
    truetype = cover_module.ImageFont.truetype

    def spy(path, size):
        opened.append(str(path))
        return truetype(path, size)

    cover_module._font.cache_clear()
    monkeypatch.setattr(cover_module.ImageFont, "truetype", spy)
    book = replace(spanish_book(words_per_chapter=10, chapters=1), title="灯台守の娘", author="山田 花子")
    PillowCoverRenderer().render(book)
    cover_module._font.cache_clear()
    assert any("CJK" in path for path in opened), opened
