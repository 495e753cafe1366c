"""Fonts found at run time among the system's font packages, never shipped with Buko.

Preference: EB Garamond (fonts-ebgaramond), Noto Serif (fonts-noto-core), DejaVu Serif
(fonts-dejavu-core), then whatever fontconfig offers, then Pillow's built-in font. Text the book face
lacks falls back, glyph by glyph, to Noto CJK (fonts-noto-cjk), Noto Color Emoji (fonts-noto-color-emoji)
and DejaVu; `missing_glyphs` names what no installed font can print.
"""
from __future__ import annotations

import bisect
import shutil
import subprocess
import unicodedata
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
_CJK_FILES = ("NotoSerifCJK-{style}.ttc", "NotoSansCJK-{style}.ttc")
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
    """A CSS font-family list led by the found family.

    CJK, emoji and symbols come from fontconfig's fallback (fonts-noto-cjk, fonts-noto-color-emoji), glyph by
    glyph. They are deliberately not named here: Pango then sets digits and punctuation next to CJK text in
    the CJK face (full-width "9 0"), and every extra family costs layout time on every line.
    """
    names = dict.fromkeys([family.name, *(name for name, _ in (_SERIF if generic == "serif" else _SANS))])
    return ", ".join(f'"{n}"' for n in names) + f", {generic}"


@lru_cache(maxsize=1)
def _coverage() -> tuple[list[int], list[int]]:
    """Code point ranges (starts, ends) that at least one installed font covers, from fontconfig's charsets."""
    ranges: list[tuple[int, int]] = []
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", "-f", "%{charset}\n"], capture_output=True, text=True, timeout=20,
                                 check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for item in out.split():
            first, _, last = item.partition("-")
            try:
                ranges.append((int(first, 16), int(last or first, 16)))
            except ValueError:
                continue
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [a for a, _ in merged], [b for _, b in merged]


def _needs_glyph(char: str) -> bool:
    # Joiners, variation selectors, tags and other format or combining-control characters shape with their
    # neighbours (emoji ZWJ sequences, flags, skin tones); spaces are drawn as space.
    return not (char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
                or "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef")


def missing_glyphs(text: str) -> list[str]:
    """Characters of `text` that no installed font has a glyph for (they would print as empty boxes). What the
    book face covers is looked up in its own character map; only the rest in every font's (fc-list, ~0.2 s)."""
    chars = [char for char in sorted(set(text)) if _needs_glyph(char)]
    book = serif().file("Regular")
    if book and chars:
        try:
            cmap = _cmap(book)
        except Exception:  # an unreadable book face: ask fontconfig about everything
            cmap = frozenset()
        chars = [char for char in chars if ord(char) not in cmap]
    if not chars:
        return []
    starts, ends = _coverage()
    if not starts:
        return []
    missing = []
    for char in chars:
        i = bisect.bisect_right(starts, ord(char)) - 1
        if i < 0 or ord(char) > ends[i]:
            missing.append(char)
    return missing


def covering(path: str | None, text: str) -> str | None:
    """`path` if that font prints all of `text`, else a CJK face that does (Pillow draws boxes otherwise)."""
    if not path or _covers(path, text):
        return path
    found = face_for(text, "Regular")
    return found if found and _covers(found, text) else path


def face_for(text: str, style: str = "Regular") -> str | None:
    """A font file for Pillow (which has no fallback) that covers `text`: the book face, else a CJK face."""
    book = serif().file(style)
    files = _system_files()
    candidates = [book, *(files.get(name.format(style=style if style != "Italic" else "Regular"))
                          for name in _CJK_FILES)]
    for path in (c for c in candidates if c):
        if _covers(path, text):
            return path
    return book


@lru_cache(maxsize=8)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # only when a title leaves the book face

    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap() or ())


def _covers(path: str, text: str) -> bool:
    try:
        cmap = _cmap(path)
    except Exception:  # an unreadable font file covers nothing
        return False
    return all(ord(c) in cmap for c in text if _needs_glyph(c))
