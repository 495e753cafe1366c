"""The author's description of the book they want."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from buko.domain.errors import InvalidBrief

LANGUAGES = ("en", "es")
TRIM_SIZES = ("A5", "6x9", "letter", "A4")
MIN_WORDS, MAX_WORDS = 1_000, 200_000
MIN_CHAPTERS, MAX_CHAPTERS = 1, 60
FIELD_LIMITS = {"idea": 4_000, "genre": 80, "audience": 200, "tone": 200, "style_sample": 8_000, "author": 120}


@dataclass(frozen=True)
class Brief:
    idea: str
    genre: str = "non-fiction"
    audience: str = "general readers"
    tone: str = "clear and engaging"
    language: str = "en"
    target_words: int = 12_000
    chapter_count: int = 6
    style_sample: str = ""
    author: str = "Anonymous"
    trim_size: str = "A5"

    def __post_init__(self) -> None:
        problems = []
        if len(self.idea.strip()) < 10:
            problems.append("idea must be at least 10 characters")
        for name, limit in FIELD_LIMITS.items():
            if len(getattr(self, name)) > limit:
                problems.append(f"{name} must be at most {limit} characters")
        if self.language not in LANGUAGES:
            problems.append(f"language must be one of {', '.join(LANGUAGES)}")
        if self.trim_size not in TRIM_SIZES:
            problems.append(f"trim_size must be one of {', '.join(TRIM_SIZES)}")
        if not MIN_WORDS <= self.target_words <= MAX_WORDS:
            problems.append(f"target_words must be between {MIN_WORDS} and {MAX_WORDS}")
        if not MIN_CHAPTERS <= self.chapter_count <= MAX_CHAPTERS:
            problems.append(f"chapter_count must be between {MIN_CHAPTERS} and {MAX_CHAPTERS}")
        elif self.target_words // self.chapter_count < 200:
            problems.append("target_words must allow at least 200 words per chapter")
        if problems:
            raise InvalidBrief("; ".join(problems))

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Brief:
        """Tolerant of briefs stored before a field existed and of keys no longer used."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
