"""The written book as exporters see it: front matter facts and chapters of Markdown."""
from __future__ import annotations

from dataclasses import dataclass

from buko.domain.books.book import Book


@dataclass(frozen=True)
class ManuscriptChapter:
    """One chapter: its number, its title and the Markdown of its stored chunks."""

    number: int
    title: str
    markdown: str


@dataclass(frozen=True)
class Manuscript:
    """Everything an exporter may print; exports are cached by a hash of it."""

    book_id: str
    title: str
    subtitle: str
    author: str
    language: str
    synopsis: str
    writer: str
    demo: bool
    year: int
    chapters: tuple[ManuscriptChapter, ...]
    trim_size: str = "A5"

    @property
    def credit(self) -> str:
        """The line that says who wrote the text; demo text is never passed off as AI."""
        if self.demo:
            return "Demo text by Buko's offline writer: placeholder prose, not written by an AI model."
        return f"Written with Buko and {self.writer}."

    @classmethod
    def from_book(cls, book: Book) -> Manuscript:
        arch = book.architecture
        if arch is None:
            raise ValueError("a book without an architecture has no manuscript")
        return cls(
            book_id=book.id,
            title=arch.title,
            subtitle=arch.subtitle,
            author=book.brief.author,
            language=arch.language or book.brief.language,
            synopsis=arch.synopsis,
            writer=book.writer,
            demo=book.demo,
            year=book.created_at.year,
            chapters=tuple(
                ManuscriptChapter(ch.number, ch.title, book.chapter_text(ch.number)) for ch in arch.chapters
            ),
            trim_size=book.brief.trim_size,
        )
