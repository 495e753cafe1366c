"""Stub answers for Buko's Claude adapter: a plausible, valid architecture for the architecture tool.

Use as the stub's responder (``AnthropicStub(responder=architecture_reply)`` or
``python -m tests.support.anthropic_stub --responder tests.support.claude_replies:architecture_reply``);
requests without tools fall through to the stub's default prose.
"""
from __future__ import annotations

import hashlib
import random
import re

from tests.support.anthropic_stub import _POOLS, Reply, _cap, _texts, detect_language, sentence


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def architecture(target_words: int, chapters: int, lang: str, seed: str) -> dict:
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    pool = _POOLS[lang]
    objects, subjects, openings = pool["obj"], pool["subj"], pool["open"]
    out = []
    for i, words in enumerate(_split(target_words, chapters)):
        n = 3 if words >= 600 else 2 if words >= 200 else 1
        title = _cap(objects[i % len(objects)]) + ("" if i < len(objects) else f" ({subjects[i % len(subjects)]})")
        out.append({
            "number": i + 1, "title": title, "summary": f"{sentence(rng, lang)} {sentence(rng, lang)}",
            "sections": [{"title": f"{_cap(rng.choice(openings))}", "words": w,
                          "summary": f"{sentence(rng, lang)} {sentence(rng, lang)}"} for w in _split(words, n)],
        })
    return {
        "title": _cap(rng.choice(objects)), "subtitle": _cap(rng.choice(pool["clause"])),
        "synopsis": " ".join(sentence(rng, lang) for _ in range(4)),
        "style_guide": " ".join(sentence(rng, lang) for _ in range(2)),
        "bible": {"characters": rng.sample(subjects, 4), "key_terms": rng.sample(objects, 4),
                  "facts": [sentence(rng, lang) for _ in range(3)]},
        "chapters": out,
    }


def architecture_reply(req: dict) -> Reply | None:
    """A valid architecture when the request carries tools; None (default prose) otherwise."""
    if not req.get("tools"):
        return None
    text = " ".join(t for t, _ in _texts(req))
    words = int(re.search(r"Target length: (\d+) words", text).group(1))
    chapters = int(re.search(r"Chapters: (\d+)", text).group(1))
    tool = req["tools"][0]["name"]
    return Reply(tool_name=tool, tool_input=architecture(words, chapters, detect_language(req), text[:2000]))
