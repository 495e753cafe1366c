"""Wall time of writing a 12-chapter, 36,000-word book with Claude played by the local stub.

For each variant (clean; 20 % random faults; a model that writes only 60 % of what it is asked
for) and each lane count (1 and 4), starts a fresh `tests.support.anthropic_stub` subprocess (a
cold prompt cache) at 63 output tokens/s per stream and 1.8 s to first token (times --speedup),
plans a book through the app, then times its writing. Each wall time is compared with its ideal:
the pure streaming time of the longest chain of calls actually made (TTFT + output tokens / rate
per call, summed along the longest lane). Also reports the input tokens billed with and without
prompt caching, the book's cost reconciled with what the stub billed, and the book's quality
report (cross-chapter repetition with 1 and 4 lanes). See bench/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import urllib.request
import logging
import os
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


VARIANTS = {"clean": dict(), "faults": dict(fault_rate=0.2), "under-writing": dict(under_write=0.6)}


def start_stub(rate: float, ttft: float, fault_rate: float = 0.0, under_write: float = 1.0,
               seed: int = 1) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.anthropic_stub", "--port", "0", "--tokens-per-second", str(rate),
         "--ttft", str(ttft), "--responder", "tests.support.claude_replies:architecture_reply",
         "--fault-rate", str(fault_rate), "--under-write", str(under_write), "--seed", str(seed)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def stub_usage(base_url: str) -> dict:
    with urllib.request.urlopen(f"{base_url}/stub/usage", timeout=10) as answer:  # loopback only
        return json.load(answer)


async def write_book(base_url: str, lanes: int, data_dir: Path, speedup: float) -> tuple[float, object]:
    """Plan and approve (untimed), then write (timed); returns (seconds, book)."""
    defaults = Settings(anthropic_api_key="bench")
    container = build_container(Settings(
        anthropic_api_key="bench", anthropic_base_url=base_url, data_dir=data_dir, database_url="", redis_url="",
        chunk_lease_seconds=3600,
        # The client-side per-minute limits scale with the stub's pace, as they would with a faster model.
        claude_requests_per_minute=round(defaults.claude_requests_per_minute * speedup),
        claude_output_tokens_per_minute=round(defaults.claude_output_tokens_per_minute * speedup),
        # Backoff and the breaker's open time scale too, so faults cost what they would at full speed.
        claude_backoff_seconds=defaults.claude_backoff_seconds / speedup,
        claude_backoff_max_seconds=defaults.claude_backoff_max_seconds / speedup,
        claude_breaker_ttl=defaults.claude_breaker_ttl / speedup,
        model_max_wait_seconds=3600))
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


def reconcile(book, billed: dict) -> str:
    u = book.usage
    pairs = [(u.input_tokens, billed["input_tokens"]), (u.cache_write_tokens, billed["cache_creation_input_tokens"]),
             (u.cache_read_tokens, billed["cache_read_input_tokens"]),
             (u.output_tokens + u.thinking_tokens, billed["output_tokens"]),
             (u.calls, billed["requests"] - billed["http_faults"])]
    exact = all(a == b for a, b in pairs)
    return (f"book {u.input_tokens:,} in / {u.cache_write_tokens:,} cw / {u.cache_read_tokens:,} cr / "
            f"{u.output_tokens + u.thinking_tokens:,} out / {u.calls} calls; stub billed "
            f"{billed['input_tokens']:,} / {billed['cache_creation_input_tokens']:,} / "
            f"{billed['cache_read_input_tokens']:,} / {billed['output_tokens']:,} / "
            f"{billed['requests'] - billed['http_faults']}: {'EXACT' if exact else 'MISMATCH'}"), exact


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speedup", type=float, default=1.0, help="multiply the token rate, divide the TTFT")
    ap.add_argument("--lanes", type=int, nargs="*", default=[1, 4], help="lane counts to time (default: 1 4)")
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    rate, ttft = RATE * args.speedup, TTFT / args.speedup
    print(f"stub: {rate:g} output tokens/s per stream, {ttft:g} s to first token (speedup {args.speedup:g}); "
          f"load average {os.getloadavg()[0]:.2f}")
    logging.basicConfig(level=logging.CRITICAL)
    ok, results = True, []
    for variant in args.variants:
        for lanes in args.lanes:
            proc, base_url = start_stub(rate, ttft, **VARIANTS[variant])  # a fresh stub: a cold cache
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    wall, book = await write_book(base_url, lanes, Path(tmp), args.speedup)
                billed = stub_usage(base_url)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            ideal = ideal_seconds(book, lanes, rate, ttft)
            u, q = book.usage, book.quality
            with_cache, without = billed_input(book)
            cut = 1 - with_cache / without
            line, exact = reconcile(book, billed)
            label = f"{variant}, {lanes} lane{'s' if lanes > 1 else ''}"
            print(f"{label:>22}: wall {wall:7.1f} s  ideal {ideal:7.1f} s  ratio {wall / ideal:.3f}  "
                  f"({book.words_written} words, {len(book.chunks)} chunks, {u.calls} calls, "
                  f"{u.output_tokens + u.thinking_tokens} output tokens, ${u.cost_usd:.4f}, caching cuts {cut:.1%})")
            print(f"{'':>22}  cost: {line}")
            print(f"{'':>22}  quality: length {q.length_score:.1f} (sections {q.mean_section_length_score:.1f}), "
                  f"outline {q.outline_adherence:.0f} %, Flesch {q.readability:.1f}, repeated sentences "
                  f"{q.repeated_sentences_within_chapters} within / {q.repeated_sentences_across_chapters} across, "
                  f"4-grams {q.ngram_repetition_within_chapters:.1%} within / {q.ngram_repetition_across_chapters:.1%} across")
            results.append(dict(variant=variant, lanes=lanes, wall=wall, ideal=ideal, ratio=wall / ideal,
                                calls=u.calls, cost_usd=u.cost_usd, caching_cut=cut, cost_exact=exact,
                                quality=q.as_dict() | {"chapters": None, "sections": None}))
            ok = ok and exact and (variant != "clean" or wall / ideal <= 1.10)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print("targets (clean ratio <= 1.10, cost reconciled exactly):", "met" if ok else "NOT met")


if __name__ == "__main__":
    asyncio.run(main())
