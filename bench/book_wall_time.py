"""Wall time of writing a 12-chapter, 36,000-word book with Claude played by the local stub.

Starts `tests.support.anthropic_stub` as a subprocess at 63 output tokens/s per stream and 1.8 s to
first token (times --speedup), plans a book through the app, then times its writing in order and in
4 parallel lanes. Each wall time is compared with its ideal: the pure streaming time of the longest
chain of calls actually made (TTFT + output tokens / rate per call, summed along the longest lane).
Also reports the input tokens billed with and without prompt caching. See bench/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import heapq
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from buko.application.commands import ApproveArchitecture, CreateBook, RegisterUser, Subscribe, WriteBook  # noqa: E402
from buko.bootstrap import build_container  # noqa: E402
from buko.config import Settings  # noqa: E402
from buko.domain.books.brief import Brief  # noqa: E402
from buko.entrypoints.worker.runtime import running  # noqa: E402

RATE, TTFT = 63.0, 1.8
BRIEF = Brief(idea="A lighthouse keeper's daughter maps the drowned villages of a northern coast",
              genre="literary fiction", target_words=36_000, chapter_count=12)
CACHE_WRITE, CACHE_READ = 1.25, 0.10  # billed multiples of the base input price


def start_stub(rate: float, ttft: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.anthropic_stub", "--port", "0", "--tokens-per-second", str(rate),
         "--ttft", str(ttft), "--responder", "tests.support.claude_replies:architecture_reply"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


async def write_book(base_url: str, lanes: int, data_dir: Path, speedup: float) -> tuple[float, object]:
    """Plan and approve (untimed), then write (timed); returns (seconds, book)."""
    defaults = Settings(anthropic_api_key="bench")
    container = build_container(Settings(
        anthropic_api_key="bench", anthropic_base_url=base_url, data_dir=data_dir, database_url="", redis_url="",
        chunk_lease_seconds=3600,
        # The client-side per-minute limits scale with the stub's pace, as they would with a faster model.
        claude_requests_per_minute=round(defaults.claude_requests_per_minute * speedup),
        claude_output_tokens_per_minute=round(defaults.claude_output_tokens_per_minute * speedup)))
    uc = container.use_cases
    async with running(container):
        user = await uc.register_user()(RegisterUser("bench@example.com", "Bench", "author"))
        await uc.subscribe()(Subscribe(user, "studio"))
        book_id = await uc.create_book()(CreateBook(user, BRIEF))
        events = container.gateways.live().subscribe(book_id)

        async def until(kind: str) -> None:
            async for event in events:
                if event["type"] in ("book_failed", "book_cancelled"):
                    raise SystemExit(f"book {book_id}: {event}")
                if event["type"] == kind:
                    return

        await until("planned")
        await uc.approve_architecture()(ApproveArchitecture(book_id))
        started = time.monotonic()
        await uc.write_book()(WriteBook(book_id, lanes))
        await until("book_written")
        elapsed = time.monotonic() - started
        await events.aclose()
        return elapsed, await uc.queries().book(book_id)


def ideal_seconds(book, lanes: int, rate: float, ttft: float) -> float:
    """Longest lane of pure streaming, chapters handed to the first free lane in order (as the app does)."""
    per_chapter: dict[int, float] = {}
    for chunk in book.chunks:
        streaming = chunk.usage.calls * ttft + (chunk.usage.output_tokens + chunk.usage.thinking_tokens) / rate
        per_chapter[chunk.chapter_number] = per_chapter.get(chunk.chapter_number, 0.0) + streaming
    free = [0.0] * lanes
    for number in sorted(per_chapter):
        heapq.heappush(free, heapq.heappop(free) + per_chapter[number])
    return max(free)


def billed_input(book) -> tuple[float, int]:
    """Input tokens billed (cache writes and reads weighted by price) and the same input uncached."""
    u = book.usage
    return (u.input_tokens + CACHE_WRITE * u.cache_write_tokens + CACHE_READ * u.cache_read_tokens,
            u.input_tokens + u.cache_write_tokens + u.cache_read_tokens)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speedup", type=float, default=1.0, help="multiply the token rate, divide the TTFT")
    ap.add_argument("--lanes", type=int, nargs="*", default=[1, 4], help="lane counts to time (default: 1 4)")
    args = ap.parse_args()
    rate, ttft = RATE * args.speedup, TTFT / args.speedup
    print(f"stub: {rate:g} output tokens/s per stream, {ttft:g} s to first token (speedup {args.speedup:g})")
    logging.basicConfig(level=logging.ERROR)
    proc, base_url = start_stub(rate, ttft)
    try:
        ok = True
        for lanes in args.lanes:
            with tempfile.TemporaryDirectory() as tmp:
                wall, book = await write_book(base_url, lanes, Path(tmp), args.speedup)
            ideal = ideal_seconds(book, lanes, rate, ttft)
            u = book.usage
            label = "in order (1 lane)" if lanes == 1 else f"{lanes} parallel lanes"
            print(f"{label:>18}: wall {wall:8.1f} s  ideal {ideal:8.1f} s  ratio {wall / ideal:.3f}  "
                  f"({book.words_written} words, {len(book.chunks)} chunks, {u.calls} calls, "
                  f"{u.output_tokens + u.thinking_tokens} output tokens, ${u.cost_usd:.2f})")
            with_cache, without = billed_input(book)
            cut = 1 - with_cache / without
            print(f"{'':>18}  input tokens billed: {with_cache:,.0f} with caching (uncached {u.input_tokens:,}, "
                  f"cache writes {u.cache_write_tokens:,} x{CACHE_WRITE}, cache reads {u.cache_read_tokens:,} "
                  f"x{CACHE_READ}) vs {without:,} without: caching cuts {cut:.1%}")
            ok = ok and wall / ideal <= 1.10 and cut >= 0.60
        print("targets (ratio <= 1.10, caching cut >= 60%):", "met" if ok else "NOT met")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
