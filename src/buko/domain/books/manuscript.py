"""The written book as exporters see it: front matter facts and chapters of Markdown."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from buko.domain.books.book import Book
from buko.domain.books.cover import Cover

# Characters no export may carry: C0/C1 controls (tab and newline excepted), surrogates, U+FFFE/U+FFFF and
# the other noncharacters (illegal in XML, fatal to epubcheck and lxml), and the bidi embeddings, overrides
# and isolates, which let a string reverse the text after it. The bidi marks (LRM, RLM, ALM) stay.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u202a-\u202e\u2066-\u2069"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0010fffe\U0010ffff]"
)
_CREDITS = {
    "en": ("Demo text by Buko’s offline writer: placeholder prose, not written by an AI model.",
           "Written with Buko and {writer}."),
    "es": ("Texto de demostración del escritor sin conexión de Buko: prosa de relleno, no escrita por un "
           "modelo de IA.", "Escrito con Buko y {writer}."),
}
_ANONYMOUS = {"en": "Anonymous", "es": "Anónimo", "fr": "Anonyme", "de": "Anonym", "pt": "Anônimo", "it": "Anonimo"}
SHORT_TITLE_CHARS = 40


def printable(text: str, single_line: bool = False) -> str:
    """`text` without the characters no export can carry; line ends normalised, titles on one line."""
    text = _UNPRINTABLE.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    return " ".join(text.split()) if single_line else text


def shorten(title: str, limit: int = SHORT_TITLE_CHARS) -> str:
    """The title cut at the last whole word that fits in `limit` characters (a running head's width)."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    head = title[: limit + 1].rsplit(" ", 1)[0] if " " in title[: limit + 1] else title[:limit]
    return head.rstrip(" ,;:—–-·.") + "…"


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
    short_title: str = ""
    cover: Cover | None = None  # the author's design; None means the default cover
    subject: str = ""

    @property
    def base_language(self) -> str:
        return (self.language or "en").split("-")[0].split("_")[0].lower()

    @property
    def credit(self) -> str:
        """The line that says who wrote the text, in the book's language; demo text is never passed off as AI."""
        demo, written = _CREDITS.get(self.base_language, _CREDITS["en"])
        return demo if self.demo else written.format(writer=self.writer)

    @property
    def byline(self) -> str:
        """The author as printed: an unnamed author is "Anonymous" in the book's language."""
        name = self.author.strip()
        if not name or name in _ANONYMOUS.values():
            return _ANONYMOUS.get(self.base_language, _ANONYMOUS["en"])
        return name

    @property
    def running_title(self) -> str:
        """The title for running heads: the short title if the architecture gives one, else the title cut at a word."""
        return shorten(self.short_title or self.title)

    def printable(self) -> Manuscript:
        """This manuscript with every text field stripped of what no export format can carry."""
        one = lambda text: printable(text, single_line=True)  # noqa: E731
        return replace(
            self, title=one(self.title), subtitle=one(self.subtitle), author=one(self.author),
            synopsis=printable(self.synopsis), writer=one(self.writer), short_title=one(self.short_title),
            subject=one(self.subject),
            chapters=tuple(replace(c, title=one(c.title), markdown=printable(c.markdown)) for c in self.chapters),
        )

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
            subject=book.brief.genre,
            # An architecture may name a short title for running heads; without one the title is cut at a word.
            short_title=getattr(arch, "short_title", "") or "",
            cover=book.cover,
        ).printable()
