"""The offline demo writer: plans and writes deterministic placeholder prose without any API key.

It exists so Buko runs anywhere. Its text is demo text, not AI, and is labelled as such.
"""
from __future__ import annotations

import asyncio
import hashlib
import random
import re

from buko.adapters.llm import demo_phrases as P
from buko.application.ports import (
    ArchitectureRequest,
    ArchitectureResult,
    ChunkRequest,
    ChunkResult,
    LanguageModel,
    RestartSink,
    TextSink,
)
from buko.domain.books.architecture import Architecture, Bible, Chapter, Section
from buko.domain.books.brief import Brief
from buko.domain.books.usage import Usage

_FICTION = re.compile(r"novel|fiction|novela|ficci|fantas|thriller|romance|mystery|misterio|cuento", re.I)
_ROMAN = ["", " II", " III", " IV", " V"]


def _rng(*parts: object) -> random.Random:
    return random.Random(hashlib.sha256("|".join(map(str, parts)).encode()).digest())


def keywords(brief: Brief, limit: int = 6) -> list[str]:
    stop = P.STOPWORDS[brief.language]
    seen: list[str] = []
    for word in re.findall(r"[^\W\d_]{5,}", brief.idea.lower()):
        if word not in stop and word not in seen:
            seen.append(word)
    seen.sort(key=len, reverse=True)  # longer words are more often the nouns that carry the topic
    return seen[:limit] or (["writing"] if brief.language == "en" else ["escritura"])


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class OfflineDemoWriter(LanguageModel):
    """Deterministic demo text streamed at `words_per_second` (0 = no pacing)."""

    name = "offline demo writer"
    demo = True

    def __init__(self, words_per_second: float = 0.0):
        self.words_per_second = words_per_second

    async def architect(self, request: ArchitectureRequest) -> ArchitectureResult:
        return ArchitectureResult(self.plan(request.brief, request.notes), Usage(calls=1))

    def plan(self, brief: Brief, notes: str = "") -> Architecture:
        lang, keys = brief.language, keywords(brief)
        rng = _rng(brief.idea, brief.chapter_count, notes)
        topic = " ".join(brief.idea.strip().rstrip(".").split()[:10])
        patterns = P.CHAPTERS[lang][:]
        rng.shuffle(patterns)
        chapters = []
        for i, words in enumerate(_split(brief.target_words, brief.chapter_count)):
            key = keys[i % len(keys)].capitalize()
            title = patterns[i % len(patterns)].format(k=key) + _ROMAN[min(i // len(patterns), 4)]
            n_sections = 3 if words >= 900 else 2 if words >= 300 else 1
            names = rng.sample(P.SECTIONS[lang], n_sections)
            sections = tuple(
                Section(name, P.SECTION_SUMMARY[lang].format(title_lower=name.lower(), k=key.lower()), budget)
                for name, budget in zip(names, _split(words, n_sections))
            )
            summary = P.SECTION_SUMMARY[lang].format(title_lower=title.lower(), k=topic)
            chapters.append(Chapter(i + 1, title, summary, sections))
        fiction = bool(_FICTION.search(brief.genre))
        return Architecture(
            title=topic[:1].upper() + topic[1:],
            subtitle=P.SUBTITLE[lang].format(topic=", ".join(keys[:2])),
            synopsis=P.SYNOPSIS[lang].format(topic=topic[:1].lower() + topic[1:], audience=brief.audience, tone=brief.tone, n=len(chapters)),
            audience=brief.audience,
            tone=brief.tone,
            language=lang,
            style_guide=P.STYLE[lang],
            bible=Bible(
                characters=tuple(P.CHARACTERS[lang]) if fiction else (),
                key_terms=tuple(keys),
                facts=tuple(P.FACTS[lang]),
            ),
            chapters=tuple(chapters),
        )

    async def write(self, request: ChunkRequest, on_text: TextSink, on_restart: RestartSink | None = None) -> ChunkResult:
        lang = request.brief.language
        keys = [k for k in request.architecture.bible.key_terms] or keywords(request.brief)
        rng = _rng(request.book_id, request.chunk.index)
        pieces: list[str] = []
        for part in request.chunk.parts:
            if part.part == 1:
                heading = f"## {part.title}\n\n"
                pieces.append(heading)
                await on_text(heading)
            written = 0
            while written < part.words:
                paragraph = []
                for _ in range(rng.randint(4, 7)):
                    sentence = self._sentence(rng, lang, keys)
                    paragraph.append(sentence)
                    written += len(sentence.split())
                    if written >= part.words:
                        break
                text = " ".join(paragraph) + "\n\n"
                pieces.append(text)
                await on_text(text)
                if self.words_per_second:
                    await asyncio.sleep(len(text.split()) / self.words_per_second)
        titles = ", ".join(p.title for p in request.chunk.parts)
        summary = (request.summary_so_far + f" Ch. {request.chunk.chapter_number}: {titles}.").strip()[-1500:]
        # Exactly what was streamed: watchers must end up with the stored text, character for character.
        return ChunkResult("".join(pieces), Usage(calls=1), summary)

    @staticmethod
    def _sentence(rng: random.Random, lang: str, keys: list[str]) -> str:
        k, k2 = rng.choice(keys), rng.choice(keys)
        if rng.random() < 0.25:
            return rng.choice(P.EXTRAS[lang]).format(k=k, k2=k2)
        return f"{rng.choice(P.OPENERS[lang])}, {k} {rng.choice(P.VERBS[lang])} {rng.choice(P.OBJECTS[lang])}."
