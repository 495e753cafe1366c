import time

import pytest

from buko.adapters.llm.offline import OfflineDemoWriter
from buko.application.ports import ArchitectureRequest, ChunkRequest
from buko.domain.books.brief import Brief
from buko.domain.books.chunks import count_words, plan_chunks


@pytest.mark.parametrize(
    "brief",
    [
        Brief(idea="A practical guide to urban beekeeping on small balconies", chapter_count=6, target_words=12_000),
        Brief(idea="Una novela sobre un faro abandonado en la costa de Galicia", language="es", genre="novela",
              chapter_count=12, target_words=36_000),
        Brief(idea="Short book on tea", chapter_count=1, target_words=1_000),
        Brief(idea="Everything about the history of printing presses", chapter_count=40, target_words=40_000),
    ],
)
async def test_plans_a_valid_architecture_for_any_brief(brief):
    result = await OfflineDemoWriter().architect(ArchitectureRequest(brief))
    arch = result.architecture
    assert arch.problems(brief.target_words) == []
    assert arch.words == brief.target_words
    assert len(arch.chapters) == brief.chapter_count and arch.language == brief.language


async def test_planning_is_deterministic_and_notes_change_the_plan():
    writer, brief = OfflineDemoWriter(), Brief(idea="A practical guide to urban beekeeping")
    first = await writer.architect(ArchitectureRequest(brief))
    again = await writer.architect(ArchitectureRequest(brief))
    revised = await writer.architect(ArchitectureRequest(brief, first.architecture, "more on honey"))
    assert first.architecture == again.architecture
    assert revised.architecture.outline() != first.architecture.outline()


async def write(writer, brief, ceiling=2500):
    arch = writer.plan(brief)
    chunks = plan_chunks(arch, ceiling)
    streamed: list[str] = []

    async def sink(delta):
        streamed.append(delta)

    results = [
        await writer.write(ChunkRequest("book-1", brief, arch, chunk, "", ""), sink) for chunk in chunks
    ]
    return chunks, results, streamed


@pytest.mark.parametrize("language", ["en", "es"])
async def test_writes_prose_of_the_requested_length_in_the_books_language(language):
    brief = Brief(idea="Una guía de apicultura urbana en balcones pequeños", language=language, target_words=6000)
    chunks, results, streamed = await write(OfflineDemoWriter(), brief)
    for chunk, result in zip(chunks, results):
        assert chunk.target_words <= count_words(result.text) <= chunk.target_words + 60
        assert result.text.startswith("## ")
    joined = " ".join(r.text for r in results)
    assert (" los " in joined or " las " in joined) == (language == "es")
    sentences = [s for s in joined.replace("\n", " ").split(". ") if s]
    assert len(set(sentences)) > len(sentences) * 0.8  # varied, not one sentence repeated


async def test_streamed_deltas_add_up_to_the_stored_text():
    brief = Brief(idea="A practical guide to urban beekeeping", target_words=2000, chapter_count=2)
    chunks, results, streamed = await write(OfflineDemoWriter(), brief, ceiling=5000)
    assert "".join(streamed).split() == " ".join(r.text for r in results).split()


async def test_writing_is_deterministic_per_book_and_chunk():
    brief = Brief(idea="A practical guide to urban beekeeping", target_words=2000, chapter_count=2)
    _, first, _ = await write(OfflineDemoWriter(), brief)
    _, second, _ = await write(OfflineDemoWriter(), brief)
    assert [r.text for r in first] == [r.text for r in second]


async def test_pace_is_configurable():
    brief = Brief(idea="A practical guide to urban beekeeping", target_words=1000, chapter_count=1)
    started = time.monotonic()
    await write(OfflineDemoWriter(words_per_second=4000), brief)
    assert time.monotonic() - started >= 0.2


def test_it_says_it_is_a_demo():
    writer = OfflineDemoWriter()
    assert writer.demo is True and "demo" in writer.name
