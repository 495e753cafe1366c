"""Thousands of websocket watchers from one asyncio process, and a Redis probe that timestamps each
live event as it is published. Run by `scripts/load sockets`; by hand:

    python -m tests.load.swarm watch --base ws://127.0.0.1:PORT --plan plan.json --hold 60 --out arrivals.json
    python -m tests.load.swarm probe --redis redis://127.0.0.1:6379/0 --prefix P --out probe.json

`watch` opens the sockets of the plan ([{"token", "book_id", "count", "record"}]) with at most
--parallel handshakes at once, answers pings, prints one JSON line when they are all open
({"phase": "opened", ...}), holds them for --hold seconds, then writes what it saw: connect times,
failures, closes by the server (code and reason) and, for sockets whose plan entry has "record",
the arrival time of each delta (book, seq, unix time).

`probe` subscribes to every book's live channel (one pattern subscription, its own process) and
records when each delta reached a direct Redis subscriber: the publish time, give or take Redis's
own fan-out (well under a millisecond). Arrival minus probe time is the delay added by Buko's hub,
the web process and the socket.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import sys
import time
from pathlib import Path


async def watch_all(base: str, plan: list[dict], hold: float, parallel: int, out: Path,
                    open_for: float | None = None) -> None:
    import websockets

    gate = asyncio.Semaphore(parallel)
    connect_ms: list[float] = []
    failures: list[str] = []
    closes: dict[str, int] = {}
    arrivals: list[tuple[str, int, float]] = []
    opened = skipped = 0
    stop, enough = asyncio.Event(), asyncio.Event()

    async def one(entry: dict) -> None:
        nonlocal opened, skipped
        async with gate:
            if enough.is_set():
                skipped += 1
                return
            started = time.perf_counter()
            try:
                ws = await websockets.connect(f"{base}/ws/books/{entry['book_id']}", open_timeout=120,
                                              additional_headers={"Authorization": f"Bearer {entry['token']}"},
                                              ping_interval=None, close_timeout=2, max_queue=None)
                first = json.loads(await asyncio.wait_for(ws.recv(), 120))
                if first.get("type") != "snapshot":
                    raise RuntimeError(f"first frame {first.get('type')}")
            except Exception as failed:
                failures.append(f"{type(failed).__name__}: {failed}"[:200])
                return
            connect_ms.append((time.perf_counter() - started) * 1000)
            opened += 1
        record, book = entry.get("record", False), entry["book_id"]
        try:
            while True:  # no polling timeout: 10,000 wait_for timers a second cost the client a core
                raw = await ws.recv()
                arrived = time.time()
                event = json.loads(raw)
                kind = event.get("type")
                if kind == "delta" and record:
                    arrivals.append((book, event["seq"], arrived))
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')
                elif kind == "error":
                    closes[event["error"]["code"]] = closes.get(event["error"]["code"], 0) + 1
        except websockets.ConnectionClosed as closed:
            if not stop.is_set():
                key = f"closed {closed.rcvd.code if closed.rcvd else 'no frame'}"
                closes[key] = closes.get(key, 0) + 1
        except asyncio.CancelledError:  # the hold is over
            await ws.close()

    sockets = [entry for entry in plan for _ in range(entry["count"])]
    started = time.monotonic()
    tasks = [asyncio.create_task(one(entry)) for entry in sockets]
    while opened + len(failures) < len(sockets):
        if open_for is not None and time.monotonic() - started > open_for and not enough.is_set():
            enough.set()  # hold what is open by now: sockets not yet started are skipped
        if opened + len(failures) + skipped >= len(sockets):
            break
        await asyncio.sleep(0.5)
    ramp = time.monotonic() - started
    print(json.dumps({"phase": "opened", "opened": opened, "failures": len(failures), "skipped": skipped,
                      "seconds": round(ramp, 1)}),
          flush=True)
    held_from = time.time()
    await asyncio.sleep(hold)
    held_to = time.time()
    still_open = opened - sum(v for k, v in closes.items() if k.startswith("closed"))
    print(json.dumps({"phase": "held", "still_open": still_open}), flush=True)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=30)
    connect_ms.sort()
    out.write_text(json.dumps({
        "sockets": len(sockets), "opened": opened, "skipped": skipped, "failures": failures[:20], "failure_count": len(failures),
        "ramp_seconds": ramp, "connect_ms": connect_ms, "closes": closes, "still_open": still_open,
        "held_from": held_from, "held_to": held_to, "arrivals": arrivals}))


def probe(redis_url: str, prefix: str, out: Path) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    pubsub.psubscribe(f"{prefix}live:*:channel")
    seen: dict[str, float] = {}
    chunks_done = 0
    words = 0
    running = True

    def finish(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    start = len(prefix) + len("live:")
    timeline: list[tuple[float, int]] = []  # (unix time, words) of every delta, for throughput over time
    while running:
        message = pubsub.get_message(timeout=0.5)
        if not message or message["type"] != "pmessage":
            continue
        now = time.time()
        channel = message["channel"].decode()
        event = json.loads(message["data"])
        if event.get("type") == "delta":
            book = channel[start:-len(":channel")]
            seen[f"{book} {event['seq']}"] = now
            n = len(event.get("text", "").split())
            words += n
            timeline.append((now, n))
        elif event.get("type") == "chunk_written":
            chunks_done += 1
            timeline.append((now, -1))
    out.write_text(json.dumps({"published": seen, "words": words, "chunks_done": chunks_done, "timeline": timeline}))
    pubsub.close()
    client.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("watch")
    w.add_argument("--base", required=True)
    w.add_argument("--plan", type=Path, required=True)
    w.add_argument("--hold", type=float, default=60)
    w.add_argument("--parallel", type=int, default=50)
    w.add_argument("--out", type=Path, required=True)
    w.add_argument("--open-for", type=float, default=None, help="stop opening after this many seconds")
    p = commands.add_parser("probe")
    p.add_argument("--redis", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.command == "watch":
        if not args.base.startswith("ws://127.0.0.1:"):
            sys.exit("the swarm only connects to 127.0.0.1")
        asyncio.run(watch_all(args.base, json.loads(args.plan.read_text()), args.hold, args.parallel, args.out,
                              args.open_for))
    else:
        probe(args.redis, args.prefix, args.out)


if __name__ == "__main__":
    main()
