"""The book's cover as the author designs it: texts, palette, typography and layout.

Every export draws the cover from this (the renderer is an adapter); a book without one gets
the default, derived from its title so that the same book always gets the same cover.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from buko.domain.errors import DomainError

# name -> (background, ink, accent); the order is the default renderer's, so defaults stay the same.
PALETTES: dict[str, tuple[str, str, str]] = {
    "midnight": ("#1f2a44", "#f4efe6", "#c9a45c"),
    "parchment": ("#f3ede2", "#2b2b2b", "#a4452c"),
    "forest": ("#2e4a3f", "#f1ece1", "#d8b26e"),
    "burgundy": ("#5a1f2b", "#f6eee3", "#e0b872"),
    "harbour": ("#e9e4d8", "#1d3557", "#457b9d"),
    "navy-gold": ("#14213d", "#fefcf7", "#fca311"),
    "cocoa": ("#3d2c2e", "#f2e9e4", "#c9ada7"),
    "sage": ("#f7f3ea", "#3a2e39", "#1e6f5c"),
    "teal": ("#264653", "#f4f1de", "#e9c46a"),
    "linen": ("#faf6f0", "#222831", "#b5651d"),
}
TYPOGRAPHY = ("serif", "sans")
LAYOUTS = ("rings", "stripes", "frame")  # the renderer's motifs, in its order
MAX_COVER_TEXT = 200
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class InvalidCover(DomainError):
    code = "invalid_cover"


@dataclass(frozen=True)
class Cover:
    title: str
    subtitle: str = ""
    author: str = ""
    background: str = "#1f2a44"
    ink: str = "#f4efe6"
    accent: str = "#c9a45c"
    typography: str = "serif"
    layout: str = "rings"

    def __post_init__(self) -> None:
        problems = []
        for name in ("title", "subtitle", "author"):
            value = getattr(self, name)
            if len(value) > MAX_COVER_TEXT:
                problems.append(f"{name} must be at most {MAX_COVER_TEXT} characters")
            if _CONTROL.search(value):
                problems.append(f"{name} must be one line without control characters")
        if not self.title.strip():
            problems.append("title must not be empty")
        for name in ("background", "ink", "accent"):
            if not _HEX.match(getattr(self, name)):
                problems.append(f"{name} must be a colour like #1f2a44")
        if self.typography not in TYPOGRAPHY:
            problems.append(f"typography must be one of {', '.join(TYPOGRAPHY)}")
        if self.layout not in LAYOUTS:
            problems.append(f"layout must be one of {', '.join(LAYOUTS)}")
        if problems:
            raise InvalidCover("; ".join(problems))

    @property
    def palette(self) -> tuple[str, str, str]:
        return self.background, self.ink, self.accent

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Cover | None:
        if not data:
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _digest(title: str, author: str) -> bytes:
    return hashlib.sha256(f"{title}\n{author}".encode()).digest()


def default_cover(title: str, subtitle: str, author: str) -> Cover:
    """The cover a book gets until its author designs one (what the renderer draws by default)."""
    digest = _digest(title, author)
    background, ink, accent = list(PALETTES.values())[digest[0] % len(PALETTES)]
    return Cover(title=title or "—", subtitle=subtitle, author=author, background=background, ink=ink,
                 accent=accent, typography="serif", layout=LAYOUTS[digest[1] % len(LAYOUTS)])


def suggest_covers(title: str, subtitle: str, author: str, synopsis: str, count: int = 3) -> list[Cover]:
    """Deterministic suggestions from the title and the synopsis: same book, same proposals."""
    digest = hashlib.sha256(f"{title}\n{synopsis}".encode()).digest()
    names = list(PALETTES)
    found: list[Cover] = []
    for i in range(len(names)):
        name = names[(digest[i % len(digest)] + i) % len(names)]
        background, ink, accent = PALETTES[name]
        cover = Cover(title=title or "—", subtitle=subtitle, author=author, background=background, ink=ink,
                      accent=accent, typography=TYPOGRAPHY[(digest[i + 8] + i) % len(TYPOGRAPHY)],
                      layout=LAYOUTS[(digest[i + 16] + i) % len(LAYOUTS)])
        if all(c.palette != cover.palette for c in found):
            found.append(cover)
        if len(found) == count:
            break
    return found
