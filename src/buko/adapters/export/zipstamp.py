"""Byte-reproducible ZIP containers (EPUB, DOCX): every entry gets the book's date instead of the wall clock.

ebooklib and python-docx stamp each entry with the time of writing. The DOS date and time sit at fixed
offsets of each local and central-directory header and are outside the CRC, so they are rewritten in place:
nothing is decompressed or compressed again.
"""
from __future__ import annotations

import struct
from datetime import datetime

_LOCAL, _CENTRAL, _END = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"


def _dos(when: datetime) -> tuple[int, int]:
    year = min(max(when.year, 1980), 2107)
    return (when.hour << 11) | (when.minute << 5) | (when.second // 2), ((year - 1980) << 9) | (when.month << 5) | when.day


def stamp_zip(data: bytes, when: datetime) -> bytes:
    """`data` (a ZIP archive) with every entry dated `when`."""
    out = bytearray(data)
    end = out.rfind(_END)
    if end < 0:
        raise ValueError("not a ZIP archive")
    entries, _, offset = struct.unpack_from("<HII", out, end + 10)
    time_, date = _dos(when)
    position = offset
    for _ in range(entries):
        if out[position:position + 4] != _CENTRAL:
            raise ValueError("corrupt ZIP central directory")
        struct.pack_into("<HH", out, position + 12, time_, date)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, position + 28)
        (local,) = struct.unpack_from("<I", out, position + 42)
        if out[local:local + 4] != _LOCAL:
            raise ValueError("corrupt ZIP local header")
        struct.pack_into("<HH", out, local + 10, time_, date)
        position += 46 + name_len + extra_len + comment_len
    return bytes(out)
