"""The trim size is chosen per book in the brief and reaches the exporters through the manuscript."""
import pytest

from buko.domain.books.brief import TRIM_SIZES, Brief
from buko.domain.errors import InvalidBrief
from tests.unit.test_use_cases import BRIEF


def test_trim_size_defaults_to_a5_and_is_validated():
    assert BRIEF.trim_size == "A5" and set(TRIM_SIZES) == {"A5", "6x9", "letter", "A4"}
    with pytest.raises(InvalidBrief, match="trim_size must be one of"):
        Brief(idea="A practical book about small gardens", trim_size="B5")


def test_briefs_stored_before_trim_sizes_still_load():
    stored = BRIEF.as_dict()
    del stored["trim_size"]
    assert Brief.from_dict(stored).trim_size == "A5"
    assert Brief.from_dict({**BRIEF.as_dict(), "trim_size": "6x9"}).trim_size == "6x9"


async def test_the_manuscript_carries_the_books_trim_size(app):
    from buko.domain.books.manuscript import Manuscript
    from tests.unit.test_export_use_case import written_book

    book_id = await written_book(app)
    book = app.store.books[book_id]
    assert Manuscript.from_book(book).trim_size == "A5"
    book.brief = Brief.from_dict({**book.brief.as_dict(), "trim_size": "letter"})
    assert Manuscript.from_book(book).trim_size == "letter"
