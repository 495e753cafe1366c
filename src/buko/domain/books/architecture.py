"""The book's architecture: what the author approves before a word is written."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from buko.domain.errors import InvalidArchitecture

BUDGET_TOLERANCE = 0.10
MIN_SECTION_WORDS = 50
MAX_TITLE, MAX_TEXT = 200, 2_000
MAX_CHAPTERS, MAX_SECTIONS = 60, 30
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_PLACEHOLDERS = re.compile(
    r"^(tbd|tba|todo|xxx+|untitled|placeholder|lorem ipsum.*|\.\.\.|…|-+|n/?a|"
    r"(chapter|cap[ií]tulo|section|secci[oó]n|part|parte)\s*\d*)$",
    re.IGNORECASE,
)
_NUMBERED_PREFIX = re.compile(r"^(chapter|cap[ií]tulo|section|secci[oó]n)\s*\d+\s*[:.\-–—]\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    title: str
    summary: str
    words: int


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    summary: str
    sections: tuple[Section, ...]

    @property
    def words(self) -> int:
        return sum(s.words for s in self.sections)


@dataclass(frozen=True)
class Bible:
    """What must stay consistent across the book."""

    characters: tuple[str, ...] = ()
    key_terms: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Architecture:
    title: str
    subtitle: str
    synopsis: str
    audience: str
    tone: str
    language: str
    style_guide: str
    bible: Bible
    chapters: tuple[Chapter, ...] = field(default_factory=tuple)

    @property
    def words(self) -> int:
        return sum(c.words for c in self.chapters)

    def problems(self, target_words: int, tolerance: float = BUDGET_TOLERANCE) -> list[str]:
        """Everything that keeps this architecture from being approved; empty when valid."""
        found = []
        if is_placeholder(self.title):
            found.append("book title is empty or a placeholder")
        if not self.chapters:
            found.append("the book has no chapters")
        if len(self.chapters) > MAX_CHAPTERS:
            found.append(f"a book has at most {MAX_CHAPTERS} chapters")
        found.extend(self._text_problems())
        for expected, chapter in enumerate(self.chapters, start=1):
            where = f"chapter {expected}"
            if chapter.number != expected:
                found.append(f"{where} is numbered {chapter.number}; numbering must be continuous from 1")
            if is_placeholder(chapter.title):
                found.append(f"{where} title is empty or a placeholder: {chapter.title!r}")
            if not chapter.sections:
                found.append(f"{where} has no sections")
            for s_no, section in enumerate(chapter.sections, start=1):
                if is_placeholder(section.title):
                    found.append(f"{where}, section {s_no} title is empty or a placeholder: {section.title!r}")
                if section.words < MIN_SECTION_WORDS:
                    found.append(f"{where}, section {s_no} budget must be at least {MIN_SECTION_WORDS} words")
        titles = [c.title.strip().lower() for c in self.chapters]
        if len(set(titles)) != len(titles):
            found.append("chapter titles must be distinct")
        if self.chapters and abs(self.words - target_words) > tolerance * target_words:
            found.append(
                f"word budgets add up to {self.words}, not {target_words} (±{round(tolerance * 100)}%)"
            )
        return found

    def _text_problems(self) -> list[str]:
        """Titles are single lines of sensible length; other texts have a length limit too."""
        titles = [("book title", self.title), ("subtitle", self.subtitle)]
        texts = [("synopsis", self.synopsis), ("style guide", self.style_guide), ("audience", self.audience),
                 ("tone", self.tone)]
        texts += [("bible entry", item) for item in (*self.bible.characters, *self.bible.key_terms, *self.bible.facts)]
        for chapter in self.chapters:
            titles.append((f"chapter {chapter.number} title", chapter.title))
            texts.append((f"chapter {chapter.number} summary", chapter.summary))
            for no, section in enumerate(chapter.sections, start=1):
                titles.append((f"chapter {chapter.number}, section {no} title", section.title))
                texts.append((f"chapter {chapter.number}, section {no} summary", section.summary))
        found = [f"{name} must be one line of at most {MAX_TITLE} characters"
                 for name, title in titles if len(title) > MAX_TITLE or _CONTROL.search(title)]
        found += [f"{name} must be at most {MAX_TEXT} characters" for name, text in texts if len(text) > MAX_TEXT]
        found += [f"chapter {c.number} has more than {MAX_SECTIONS} sections"
                  for c in self.chapters if len(c.sections) > MAX_SECTIONS]
        return found

    def validate(self, target_words: int, tolerance: float = BUDGET_TOLERANCE) -> Architecture:
        found = self.problems(target_words, tolerance)
        if found:
            raise InvalidArchitecture(found)
        return self

    def outline(self) -> str:
        lines = []
        for chapter in self.chapters:
            lines.append(f"{chapter.number}. {chapter.title}")
            lines.extend(f"   - {s.title} ({s.words} words)" for s in chapter.sections)
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Architecture:
        bible = data.get("bible") or {}
        return cls(
            title=data["title"],
            subtitle=data.get("subtitle", ""),
            synopsis=data.get("synopsis", ""),
            audience=data.get("audience", ""),
            tone=data.get("tone", ""),
            language=data.get("language", "en"),
            style_guide=data.get("style_guide", ""),
            bible=Bible(**{k: tuple(bible.get(k, ())) for k in ("characters", "key_terms", "facts")}),
            chapters=tuple(
                Chapter(
                    number=int(c["number"]),
                    title=c["title"],
                    summary=c.get("summary", ""),
                    sections=tuple(
                        Section(title=s["title"], summary=s.get("summary", ""), words=int(s["words"]))
                        for s in c.get("sections", ())
                    ),
                )
                for c in data.get("chapters", ())
            ),
        )


def is_placeholder(title: str) -> bool:
    text = (title or "").strip()
    if not text or _PLACEHOLDERS.match(text):
        return True
    # "Chapter 1: Chapter 1" and the like: a numbered prefix followed by nothing new.
    rest = _NUMBERED_PREFIX.sub("", text)
    return rest != text and (not rest.strip() or bool(_PLACEHOLDERS.match(rest.strip())))
