"""A typographic cover drawn with Pillow: the same book always gets the same cover."""
from __future__ import annotations

import hashlib
import io
import re
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from buko.adapters.export import fonts
from buko.application.ports import CoverRenderer
from buko.domain.books.cover import LAYOUTS
from buko.domain.books.manuscript import Manuscript, printable

WIDTH, HEIGHT = 1600, 2560
# Content stays inside this vertical band: a cover cropped to A5 (PDF) loses ~150 px top and bottom.
SAFE_TOP, SAFE_BOTTOM = 260, 2330
_PALETTES = (  # background, ink, accent
    ("#1f2a44", "#f4efe6", "#c9a45c"),
    ("#f3ede2", "#2b2b2b", "#a4452c"),
    ("#2e4a3f", "#f1ece1", "#d8b26e"),
    ("#5a1f2b", "#f6eee3", "#e0b872"),
    ("#e9e4d8", "#1d3557", "#457b9d"),
    ("#14213d", "#fefcf7", "#fca311"),
    ("#3d2c2e", "#f2e9e4", "#c9ada7"),
    ("#f7f3ea", "#3a2e39", "#1e6f5c"),
    ("#264653", "#f4f1de", "#e9c46a"),
    ("#faf6f0", "#222831", "#b5651d"),
)
_DEMO_LINES = {"en": "DEMO TEXT · NOT WRITTEN BY AI", "es": "TEXTO DE DEMOSTRACIÓN · NO ESCRITO POR IA"}


# Latin letters and the punctuation that the regular and italic book faces Buko looks for (EB Garamond, Noto,
# DejaVu) all have: text made only of these needs no look-up in the font's character map (reading one costs
# ~40 ms a font, a large part of a cover's time). Anything else, or another face, is looked up.
_BOOK_FACE_TEXT = re.compile("[\u0000-\u017f\u2010-\u2016\u2018-\u201a\u201c-\u201e\u2020-\u2022"
                             "\u2024-\u2026\u2032-\u2037\u2039\u203a\u20ac]*")
_BOOK_FACES = ("EBGaramond12-", "EBGaramond-", "NotoSerif-", "NotoSans-", "DejaVuSans")


def _face(path: str | None, text: str) -> str | None:
    """The font file that prints `text`: `path`, or a CJK face when `path` lacks some of its characters."""
    if path and path.rsplit("/", 1)[-1].startswith(_BOOK_FACES) and _BOOK_FACE_TEXT.fullmatch(text):
        return path
    return fonts.covering(path, text)


@lru_cache(maxsize=64)
def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _wrap(text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _fit(text: str, path: str | None, width: int, height: int, sizes: range) -> tuple[object, list[str]]:
    """The largest size at which `text` wraps inside width x height."""
    for size in sizes:
        font = _font(path, size)
        lines = _wrap(text, font, width)
        if all(font.getlength(line) <= width for line in lines) and len(lines) * size * 1.15 <= height:
            return font, lines
    font = _font(path, sizes[-1])
    return font, _wrap(text, font, width)


def _blend(a: str, b: str, t: float) -> tuple[int, int, int]:
    ca, cb = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b))
    return tuple(round(x + (y - x) * t) for x, y in zip(ca, cb))


class PillowCoverRenderer(CoverRenderer):
    """1600x2560 PNG: palette and motif chosen from a hash of the title, fonts from the system."""

    version = "3"

    def render(self, manuscript: Manuscript) -> bytes:
        manuscript = manuscript.printable()  # no control or bidi-override characters on the cover either
        digest = hashlib.sha256(f"{manuscript.title}\n{manuscript.author}".encode()).digest()
        bg, ink, accent = _PALETTES[digest[0] % len(_PALETTES)]
        motif, title, subtitle, author = digest[1] % 3, manuscript.title, manuscript.subtitle, manuscript.byline
        design = manuscript.cover  # the author's cover design, when there is one
        family = fonts.sans() if design is not None and design.typography == "sans" else fonts.serif()
        if design is not None:
            bg, ink, accent = design.palette
            motif = LAYOUTS.index(design.layout)
            title, subtitle, author = (printable(text, single_line=True)
                                       for text in (design.title, design.subtitle, design.author))
        image = Image.new("RGB", (WIDTH, HEIGHT), bg)
        draw = ImageDraw.Draw(image)
        self._motif(draw, motif, bg, ink, accent)
        y = self._title(draw, re.sub(r"(?<=\w)'(?=\w)", "’", title), ink, accent, family)
        if subtitle:
            self._subtitle(draw, subtitle, ink, y, family)
        self._author(draw, author, ink, family)
        if manuscript.demo:
            self._demo(draw, accent, bg, _DEMO_LINES.get(manuscript.base_language, _DEMO_LINES["en"]))
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()

    def _motif(self, draw: ImageDraw.ImageDraw, kind: int, bg: str, ink: str, accent: str) -> None:
        faint = _blend(bg, ink, 0.07)
        if kind == 0:
            for r in range(1100, 200, -90):
                draw.ellipse((800 - r, 1050 - r, 800 + r, 1050 + r), outline=faint, width=6)
        elif kind == 1:
            for x in range(-HEIGHT, WIDTH, 110):
                draw.line((x, HEIGHT, x + HEIGHT, 0), fill=faint, width=10)
        else:
            draw.rectangle((90, 90, WIDTH - 90, HEIGHT - 90), outline=_blend(bg, accent, 0.6), width=4)
            draw.rectangle((112, 112, WIDTH - 112, HEIGHT - 112), outline=faint, width=2)
        draw.rectangle((0, 0, WIDTH, 56), fill=accent)
        draw.rectangle((0, HEIGHT - 56, WIDTH, HEIGHT), fill=accent)

    def _title(self, draw: ImageDraw.ImageDraw, title: str, ink: str, accent: str, family=None) -> int:
        family = family or fonts.serif()
        draw.rectangle((WIDTH / 2 - 200, SAFE_TOP + 60, WIDTH / 2 + 200, SAFE_TOP + 66), fill=accent)
        font, lines = _fit(title, _face(family.file("Regular"), title), 1200, 1050, range(210, 60, -6))
        leading = round(font.size * 1.12)
        top = SAFE_TOP + 200 + max(0, (1050 - leading * len(lines)) // 3)
        for i, line in enumerate(lines):
            draw.text((WIDTH / 2, top + i * leading), line, font=font, fill=ink, anchor="ma")
        bottom = top + leading * len(lines) + 50
        draw.rectangle((WIDTH / 2 - 120, bottom, WIDTH / 2 + 120, bottom + 5), fill=accent)
        return bottom + 80

    def _subtitle(self, draw: ImageDraw.ImageDraw, subtitle: str, ink: str, top: int, family=None) -> None:
        family = family or fonts.serif()
        room = max(120, 1880 - top)
        font, lines = _fit(subtitle, _face(family.file("Italic"), subtitle), 1150, room, range(76, 36, -4))
        leading = round(font.size * 1.25)
        for i, line in enumerate(lines[: max(1, room // leading)]):
            draw.text((WIDTH / 2, top + i * leading), line, font=font, fill=ink, anchor="ma")

    def _author(self, draw: ImageDraw.ImageDraw, author: str, ink: str, family=None) -> None:
        family = family or fonts.serif()
        text = author.upper()
        for size in range(64, 22, -4):
            font = _font(_face(family.file("Regular"), text), size)
            tracking = size * 0.18
            width = font.getlength(text) + tracking * (len(text) - 1)
            if width <= 1250:
                break
        x = WIDTH / 2 - width / 2
        for char in text:
            draw.text((x, 2080), char, font=font, fill=ink, anchor="ls")
            x += font.getlength(char) + tracking

    def _demo(self, draw: ImageDraw.ImageDraw, accent: str, bg: str, line: str) -> None:
        font = _font(fonts.sans().file("Bold"), 34)
        width = font.getlength(line) + 60
        box = (WIDTH / 2 - width / 2, SAFE_BOTTOM - 70, WIDTH / 2 + width / 2, SAFE_BOTTOM)
        draw.rectangle(box, fill=accent)
        draw.text((WIDTH / 2, SAFE_BOTTOM - 35), line, font=font, fill=bg, anchor="mm")
