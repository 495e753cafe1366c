"""A book's quality report: length per section, repetition, outline adherence and readability.

Every figure is defined here precisely, so that it can be computed by hand:

- **Sections.** Each chapter's text is split at its Markdown headings (`## Title`): a heading
  whose title matches one of the chunk's sections (case, punctuation and emphasis ignored) starts
  that section; any other heading stays inside the current section. Words are counted as in
  `count_words`, heading lines excluded.
- **Length score** (LongBench-Write), target x, actual y: if y > x, 100·max(0, 1 − (y/x − 1)/3),
  else 100·max(0, 1 − (x/y − 1)/2); 0 when nothing was written. Per section, per chapter and for
  the book; `mean_section_length_score` is the plain mean over sections.
- **Repeated sentences.** Sentences end at . ! ? … (then closing quotes/brackets); a sentence is
  compared lower-cased, with its words only (`_WORD`), and counts only with at least
  `MIN_SENTENCE_WORDS` words. *Within*: per chapter, every occurrence after the first of a
  sentence in that chapter. *Across*: the distinct sentences found in two chapters or more.
- **N-gram repetition** (word `NGRAM`-grams, lower-cased). *Within* a chapter: 1 − distinct /
  all of its n-grams; for the book, Σ(all − distinct) / Σ all. *Across*: per chapter, the share
  of its distinct n-grams that also occur in another chapter; for the book, the same sums.
- **Outline adherence.** The approved chapters (present when they have text) and section titles
  (present when their heading is found), in order: a title found out of order counts as missing
  from the order. Score = 100 · in-order titles / all titles.
- **Readability.** English: Flesch reading ease, 206.835 − 1.015·(words/sentences) −
  84.6·(syllables/words). Spanish: Fernández-Huerta, 206.84 − 0.60·P − 1.02·F, with P syllables
  and F sentences per 100 words. Words are runs of letters; syllables are counted by `syllables`.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, fields

NGRAM = 4
MIN_SENTENCE_WORDS = 5
_WORD = re.compile(r"[\w’'-]+", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"[.!?…]+[»\"”’')\]*_]*(?=\s|$)")
_EN_VOWELS = re.compile(r"[aeiouy]+")
_ES_VOWELS = re.compile(r"[aeiouáéíóúü]+")
_ES_STRONG = set("aeoáéíóú")


def length_score(target: int, actual: int) -> float:
    """LongBench-Write's length score S_l of `actual` words against `target` words."""
    if target <= 0 or actual <= 0:
        return 0.0
    if actual > target:
        return 100 * max(0.0, 1 - (actual / target - 1) / 3)
    return 100 * max(0.0, 1 - (target / actual - 1) / 2)


def syllables(word: str, language: str = "en") -> int:
    """Syllables of one word. English: groups of vowels (y included), less a silent final 'e'
    (not after 'l' as in 'table'), at least one. Spanish: groups of vowels, plus one for each pair
    of adjacent strong vowels in a group (a hiatus: 'le-ó'), at least one."""
    w = word.lower()
    if language == "es":
        count = 0
        for group in _ES_VOWELS.findall(w):
            count += 1 + sum(1 for a, b in zip(group, group[1:]) if a in _ES_STRONG and b in _ES_STRONG)
        return max(1, count)
    count = len(_EN_VOWELS.findall(w))
    if w.endswith("e") and not w.endswith("le") and count > 1:
        count -= 1
    return max(1, count)


def sentences(text: str) -> list[str]:
    """The prose's sentences (heading lines left out), each stripped."""
    prose = "\n".join(line for line in text.splitlines() if not _HEADING.match(line))
    out, start = [], 0
    for match in _SENTENCE_END.finditer(prose):
        out.append(prose[start:match.end()].strip())
        start = match.end()
    tail = prose[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if _WORD.search(s)]


def readability(text: str, language: str) -> float:
    """Flesch reading ease (English) or Fernández-Huerta (Spanish) of the prose in `text`."""
    found = sentences(text)
    words = [w for s in found for w in _LETTERS.findall(s)]
    if not words or not found:
        return 0.0
    syl = sum(syllables(w, language) for w in words)
    if language == "es":
        return 206.84 - 0.60 * (100 * syl / len(words)) - 1.02 * (100 * len(found) / len(words))
    return 206.835 - 1.015 * (len(words) / len(found)) - 84.6 * (syl / len(words))


def _key(title: str) -> str:
    """A title for comparison: no case, accents kept, no punctuation or Markdown emphasis."""
    text = unicodedata.normalize("NFC", title).casefold()
    return " ".join(_WORD.findall(text.replace("*", " ").replace("_", " ")))


def _numbers(titled) -> dict[str, list[int]]:
    """Title key -> its section numbers in order: sections sharing a title are matched in turn."""
    found: dict[str, list[int]] = {}
    for title, number in titled:
        found.setdefault(_key(title), []).append(number)
    return found


def _count(text: str) -> int:
    return sum(len(_WORD.findall(line)) for line in text.splitlines() if not _HEADING.match(line))


@dataclass(frozen=True)
class SectionQuality:
    chapter: int
    section: int
    title: str
    target_words: int
    actual_words: int
    length_score: float
    heading_found: bool


@dataclass(frozen=True)
class ChapterQuality:
    number: int
    title: str
    target_words: int
    actual_words: int
    length_score: float
    repeated_sentences: int
    ngram_repetition: float
    ngram_overlap_with_others: float
    readability: float


@dataclass(frozen=True)
class QualityReport:
    """What `assess` measured on a book (see the module's docstring for each definition)."""

    language: str
    readability_formula: str
    target_words: int
    actual_words: int
    length_score: float
    mean_section_length_score: float
    repeated_sentences_within_chapters: int
    repeated_sentences_across_chapters: int
    ngram_repetition_within_chapters: float
    ngram_repetition_across_chapters: float
    outline_adherence: float
    titles_missing_or_out_of_order: tuple[str, ...]
    readability: float
    chapters: tuple[ChapterQuality, ...]
    sections: tuple[SectionQuality, ...]

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> QualityReport | None:
        if not data:
            return None
        values = {f.name: data[f.name] for f in fields(cls)}
        values["titles_missing_or_out_of_order"] = tuple(data["titles_missing_or_out_of_order"])
        values["chapters"] = tuple(ChapterQuality(**c) for c in data["chapters"])
        values["sections"] = tuple(SectionQuality(**s) for s in data["sections"])
        return cls(**values)


def split_sections(chunks, architecture) -> dict[tuple[int, int], tuple[str, bool]]:
    """(chapter, section number) -> (the section's text, whether its heading was found), from
    finished chunks (objects with chapter_number, parts, text, done)."""
    found: dict[tuple[int, int], list[str]] = {}
    headed: set[tuple[int, int]] = set()
    for chunk in chunks:
        if not chunk.done or not chunk.parts:
            continue
        titles = _numbers((p.title, p.section_no) for p in chunk.parts)
        current = chunk.parts[0].section_no
        for line in chunk.text.splitlines(keepends=True):
            heading = _HEADING.match(line)
            if heading and titles.get(_key(heading.group(1))):
                current = titles[_key(heading.group(1))].pop(0)
                headed.add((chunk.chapter_number, current))
            found.setdefault((chunk.chapter_number, current), []).append(line)
    result = {}
    for chapter in architecture.chapters:
        for no, _ in enumerate(chapter.sections, start=1):
            key = (chapter.number, no)
            result[key] = ("".join(found.get(key, [])).strip(), key in headed)
    return result


def _ngrams(text: str) -> list[tuple[str, ...]]:
    words = [w.lower() for line in text.splitlines() if not _HEADING.match(line) for w in _WORD.findall(line)]
    return [tuple(words[i:i + NGRAM]) for i in range(len(words) - NGRAM + 1)]


def _in_order(expected: list[str], present: list[str]) -> set[int]:
    """Indexes of `expected` in a longest in-order match against `present` (an LCS)."""
    n, m = len(expected), len(present)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if expected[i] == present[j] else max(table[i + 1][j], table[i][j + 1])
    kept, i, j = set(), 0, 0
    while i < n and j < m:
        if expected[i] == present[j]:
            kept.add(i)
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept


def assess(architecture, chunks, language: str) -> QualityReport:
    """The quality report of a book's finished chunks against its approved architecture."""
    parts = split_sections(chunks, architecture)
    section_rows, chapter_rows = [], []
    chapter_texts = {ch.number: "\n\n".join(k.text for k in chunks if k.done and k.chapter_number == ch.number)
                     for ch in architecture.chapters}
    for chapter in architecture.chapters:
        for no, section in enumerate(chapter.sections, start=1):
            text, heading = parts[(chapter.number, no)]
            actual = _count(text)
            section_rows.append(SectionQuality(chapter.number, no, section.title, section.words, actual,
                                               round(length_score(section.words, actual), 2), heading))
    norm = {n: [" ".join(_WORD.findall(s.lower())) for s in sentences(t)] for n, t in chapter_texts.items()}
    norm = {n: [s for s in ss if len(s.split()) >= MIN_SENTENCE_WORDS] for n, ss in norm.items()}
    chapters_of: dict[str, set[int]] = {}
    for n, ss in norm.items():
        for s in ss:
            chapters_of.setdefault(s, set()).add(n)
    grams = {n: _ngrams(t) for n, t in chapter_texts.items()}
    distinct = {n: set(g) for n, g in grams.items()}
    seen_in: Counter = Counter(g for n in distinct for g in distinct[n])
    all_grams = repeated_grams = shared = distinct_total = 0
    for chapter in architecture.chapters:
        n, text = chapter.number, chapter_texts[chapter.number]
        actual = _count(text)
        within = sum(count - 1 for count in Counter(norm[n]).values())
        overlap = sum(1 for g in distinct[n] if seen_in[g] > 1)
        all_grams += len(grams[n])
        repeated_grams += len(grams[n]) - len(distinct[n])
        shared += overlap
        distinct_total += len(distinct[n])
        chapter_rows.append(ChapterQuality(
            n, chapter.title, chapter.words, actual, round(length_score(chapter.words, actual), 2), within,
            round(1 - len(distinct[n]) / len(grams[n]), 4) if grams[n] else 0.0,
            round(overlap / len(distinct[n]), 4) if distinct[n] else 0.0,
            round(readability(text, language), 2)))
    kept_titles, missing = 0, []
    for chapter in architecture.chapters:
        if chapter_texts[chapter.number].strip():
            kept_titles += 1
        else:
            missing.append(f"chapter {chapter.number}: {chapter.title}")
        numbers = _numbers((s.title, no) for no, s in enumerate(chapter.sections, start=1))
        appearance = [numbers[_key(m.group(1))].pop(0) for line in chapter_texts[chapter.number].splitlines()
                      if (m := _HEADING.match(line)) and numbers.get(_key(m.group(1)))]
        expected = list(range(1, len(chapter.sections) + 1))
        in_order = _in_order(expected, appearance)
        kept_titles += len(in_order)
        missing += [f"{chapter.number}.{no} {chapter.sections[no - 1].title}" for no in expected
                    if no - 1 not in in_order]
    all_titles = len(architecture.chapters) + len(section_rows)
    book_text = "\n\n".join(chapter_texts[c.number] for c in architecture.chapters)
    target, actual = architecture.words, sum(r.actual_words for r in chapter_rows)
    return QualityReport(
        language=language,
        readability_formula="fernandez-huerta" if language == "es" else "flesch",
        target_words=target, actual_words=actual,
        length_score=round(length_score(target, actual), 2),
        mean_section_length_score=round(sum(s.length_score for s in section_rows) / len(section_rows), 2)
        if section_rows else 0.0,
        repeated_sentences_within_chapters=sum(c.repeated_sentences for c in chapter_rows),
        repeated_sentences_across_chapters=sum(1 for ns in chapters_of.values() if len(ns) > 1),
        ngram_repetition_within_chapters=round(repeated_grams / all_grams, 4) if all_grams else 0.0,
        ngram_repetition_across_chapters=round(shared / distinct_total, 4) if distinct_total else 0.0,
        outline_adherence=round(100 * kept_titles / all_titles, 2) if all_titles else 0.0,
        titles_missing_or_out_of_order=tuple(missing),
        readability=round(readability(book_text, language), 2),
        chapters=tuple(chapter_rows),
        sections=tuple(section_rows),
    )
