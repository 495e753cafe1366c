"""API figures from one run on this machine: `GET /api/books` under 100 concurrent clients, and the
server's memory with 2,000 idle sockets open.

    .venv/bin/python bench/api.py                    # embedded defaults (SQLite), 3 rounds of 10 s
    .venv/bin/python bench/api.py --postgres         # PostgreSQL + Redis (the machine's servers)
    .venv/bin/python bench/api.py --rounds 5 --seconds 15 --clients 100 --sockets 2000

It starts `buko serve` (one hypercorn worker) in a child process on a free loopback port, seeds
one author with 20 books through the use cases, and then, in this process:

- runs `--rounds` rounds of `--clients` keep-alive connections, each sending requests back to back
  for `--seconds`: first against the baseline `GET /healthz` (no database, no auth), then against
  `GET /api/books` (token auth + a page of summaries), alternating, so both see the same machine;
  prints requests/s and p50/p99 latency for each round, their medians, and the ratio to the
  baseline measured side by side;
- opens `--sockets` websockets on one book, idle but answered pings, and reads the server's RSS
  (VmRSS of the child) before and after: per-socket memory = difference / sockets.

The load average (1 min) is printed before and after: the machine is noisy, so compare ratios.
Only loopback is ever contacted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def loadavg() -> float:
    return os.getloadavg()[0]


async def seed(env: dict) -> tuple[str, str]:
    """One studio-plan author with 20 planned books; returns (token, a book id)."""
    os.environ.update(env)
    from buko.application.commands import CreateApiToken, CreateBook, RegisterUser, Subscribe
    from buko.bootstrap import build_container
    from buko.config import Settings
    from buko.domain.books.brief import Brief
    from buko.entrypoints.worker.runtime import running

    container = build_container(Settings())
    async with running(container):
        uc = container.use_cases
        user = await uc.register_user()(RegisterUser(f"bench-{uuid.uuid4().hex[:6]}@example.com", "Bench",
                                                     password="correct horse battery"))
        await uc.subscribe()(Subscribe(user, "studio"))
        books = [await uc.create_book()(CreateBook(user, Brief(idea=f"A field guide to city birds, volume {n}",
                                                                target_words=3000, chapter_count=3)))
                 for n in range(20)]
        _token, secret = await uc.api_tokens().create(CreateApiToken(user, "bench"))
    return secret, books[0]


async def hammer(port: int, path: str, headers: dict, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """`clients` keep-alive connections sending GETs back to back; (rps, p50 ms, p99 ms, errors)."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def one() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                writer.write(request)
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if b" 200 " not in status:
                    errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(clients)))
    elapsed = time.monotonic() - started
    latencies.sort()
    p = lambda q: latencies[min(int(q * len(latencies)), len(latencies) - 1)] * 1000  # noqa: E731
    return len(latencies) / elapsed, p(0.50), p(0.99), errors


async def idle_sockets(port: int, book_id: str, token: str, count: int, pid: int) -> tuple[float, float, int]:
    import websockets

    before = rss_mb(pid)
    opened, failures = [], 0
    for start in range(0, count, 100):
        batch = [websockets.connect(f"ws://127.0.0.1:{port}/ws/books/{book_id}",
                                    additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=60)
                 for _ in range(min(100, count - start))]
        for result in await asyncio.gather(*batch, return_exceptions=True):
            if isinstance(result, Exception):
                failures += 1
            else:
                opened.append(result)
        await asyncio.gather(*(ws.recv() for ws in opened[-len(batch):]), return_exceptions=True)  # snapshots
    await asyncio.sleep(3)
    after = rss_mb(pid)
    await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
    if failures:
        print(f"  {failures} sockets could not be opened")
    return before, after, len(opened)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis instead of the embedded setup")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.sockets + 1000)), hard))

    data = Path(tempfile.mkdtemp(prefix="buko-bench-api-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "BUKO_", "DATABASE_", "REDIS_"))}
    env.update(BUKO_DATA_DIR=str(data), BUKO_OFFLINE_WPS="0", BUKO_WS_PING_INTERVAL="60",
               BUKO_RATE_LIMIT_WORK="1000000/minute", BUKO_RATE_LIMIT_EXPORT="1000000/minute")
    if args.postgres:
        import asyncpg

        name = f"buko_bench_{uuid.uuid4().hex[:8]}"

        async def create() -> None:
            conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()

        asyncio.run(create())
        env.update(DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{name}", REDIS_URL="redis://127.0.0.1:6379/0",
                   BUKO_REDIS_PREFIX=f"bukobench:{uuid.uuid4().hex[:8]}:")
    token, book_id = asyncio.run(seed(env))
    port = free_port()
    log = (data / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "buko.entrypoints.cli", "serve", "--port", str(port)],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit((data / "serve.log").read_text())
                time.sleep(0.2)
        setup = "PostgreSQL + Redis" if args.postgres else "embedded (SQLite, in-process queues)"
        print(f"buko serve, 1 hypercorn worker, {setup}; {args.clients} clients, {args.rounds} rounds of "
              f"{args.seconds:.0f} s; load average before: {loadavg():.2f}")
        auth = {"Authorization": f"Bearer {token}"}
        results: dict[str, list] = {"baseline GET /healthz": [], "GET /api/books": []}
        for round_no in range(1, args.rounds + 1):
            for name, path, headers in (("baseline GET /healthz", "/healthz", {}),
                                        ("GET /api/books", "/api/books?limit=20", auth)):
                rps, p50, p99, errors = asyncio.run(hammer(port, path, headers, args.clients, args.seconds))
                results[name].append((rps, p50, p99, errors))
                print(f"  round {round_no} {name:22s} {rps:8.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                      f"errors {errors}  (load {loadavg():.2f})")
        medians = {name: [statistics.median(r[i] for r in rows) for i in range(3)] for name, rows in results.items()}
        print("medians:")
        for name, (rps, p50, p99) in medians.items():
            print(f"  {name:22s} {rps:8.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
        base, books = medians["baseline GET /healthz"], medians["GET /api/books"]
        print(f"ratio to baseline: throughput {books[0] / base[0]:.2f}x, p50 {books[1] / base[1]:.2f}x, "
              f"p99 {books[2] / base[2]:.2f}x; errors {sum(r[3] for rows in results.values() for r in rows)}")
        before, after, opened = asyncio.run(idle_sockets(port, book_id, token, args.sockets, server.pid))
        print(f"idle sockets: {opened} open; server RSS {before:.1f} MB before, {after:.1f} MB with them: "
              f"{(after - before) * 1024 / max(opened, 1):.1f} KB per socket; load average after: {loadavg():.2f}")
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            print("buko serve did not stop within 30 s of SIGTERM; killed")
            server.kill()
            server.wait(10)
        log.close()


if __name__ == "__main__":
    main()
