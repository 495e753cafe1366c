"""Fonts found at run time among the system's font packages, never shipped with Buko.

Preference: EB Garamond (fonts-ebgaramond), Noto Serif (fonts-noto-core), DejaVu Serif
(fonts-dejavu-core), then whatever fontconfig offers, then Pillow's built-in font.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_SERIF = (
    ("EB Garamond 12", "EBGaramond12-{style}.otf"),
    ("EB Garamond", "EBGaramond-{style}.otf"),
    ("EB Garamond", "EBGaramond-{style}.ttf"),
    ("Noto Serif", "NotoSerif-{style}.ttf"),
    ("DejaVu Serif", "DejaVuSerif-{style}.ttf"),
    ("DejaVu Serif", "DejaVuSerif.ttf"),
)
_SANS = (
    ("Noto Sans", "NotoSans-{style}.ttf"),
    ("DejaVu Sans", "DejaVuSans-{style}.ttf"),
    ("DejaVu Sans", "DejaVuSans.ttf"),
)
_STYLES = ("Regular", "Bold", "Italic")
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


@dataclass(frozen=True)
class FontFamily:
    """A family name fontconfig knows, and its files by style (any may be None)."""

    name: str
    regular: str | None
    bold: str | None
    italic: str | None

    def file(self, style: str = "Regular") -> str | None:
        return {"Regular": self.regular, "Bold": self.bold, "Italic": self.italic}[style] or self.regular


@lru_cache(maxsize=1)
def _system_files() -> dict[str, str]:
    """File name -> path of every installed font (fc-list if present, else a walk of font dirs)."""
    paths: list[str] = []
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(
                ["fc-list", "-f", "%{file}\n"], capture_output=True, text=True, timeout=20, check=False
            ).stdout
            paths = [line.strip() for line in out.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            paths = []
    if not paths:
        paths = [str(p) for d in _FONT_DIRS if d.is_dir() for p in d.rglob("*") if p.suffix in (".ttf", ".otf")]
    return {Path(p).name: p for p in sorted(paths)}


def _find(candidates: tuple[tuple[str, str], ...]) -> FontFamily | None:
    files = _system_files()
    for family, pattern in candidates:
        found = {style: files.get(pattern.format(style=style)) for style in _STYLES}
        if found["Regular"]:
            return FontFamily(family, found["Regular"], found["Bold"], found["Italic"])
    return None


def _any_family() -> FontFamily:
    files = _system_files()
    path = next(iter(files.values()), None)
    return FontFamily("serif", path, path, path)


@lru_cache(maxsize=1)
def serif() -> FontFamily:
    """The book face: body text of PDF and cover title."""
    return _find(_SERIF) or _any_family()


@lru_cache(maxsize=1)
def sans() -> FontFamily:
    """A plain sans face for small labels (the demo ribbon)."""
    return _find(_SANS) or serif()


def css_stack(family: FontFamily, generic: str = "serif") -> str:
    """A CSS font-family list led by the found family; Pango falls back glyph by glyph."""
    names = dict.fromkeys([family.name, *(name for name, _ in (_SERIF if generic == "serif" else _SANS))])
    return ", ".join(f'"{n}"' for n in names) + f", {generic}"
