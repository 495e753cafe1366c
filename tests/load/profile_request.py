"""CPU profile of one API request path in-process, measured in CPU time (not wall time), so a busy
machine does not distort it. The app runs against a fresh PostgreSQL database and a Redis prefix
(the load stack's), with Quart's test client (the ASGI app without the HTTP server).

    .venv/bin/python -m tests.load.profile_request --path "/api/books/{id}" --requests 2000

Prints CPU ms per request and, from a sampler driven by the process's own CPU time (ITIMER_PROF,
one sample per CPU millisecond), the share of CPU spent under each function.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import time
from pathlib import Path

from tests.load.stack import REDIS_URL, Stack, StackConfig, _pg


async def main(path: str, requests: int, top: int, out: Path) -> None:
    stack = Stack(out, StackConfig())
    await _pg(f'CREATE DATABASE "{stack.db_name}"')
    os.environ.update(DATABASE_URL=stack.database_url, REDIS_URL=REDIS_URL, BUKO_REDIS_PREFIX=stack.prefix,
                      BUKO_LOG_LEVEL="WARNING", BUKO_DATA_DIR=str(out / "data"))
    try:
        from tests.load.seed import seed

        data = await seed(stack.database_url, out / "data", 1, 0, 0, books_per_author=1)
        author = data["authors"][0]
        from buko.entrypoints.http.app import create_app

        app = create_app()
        headers = {"Authorization": f"Bearer {author['token']}"}
        url = path.replace("{id}", author["books"][0])
        async with app.test_app() as running:
            client = running.test_client()
            for _ in range(50):  # warm caches (statement cache, compiled queries)
                assert (await client.get(url, headers=headers)).status_code == 200
            started = time.process_time()
            for _ in range(requests):  # plain: CPU per request without the profiler's overhead
                await client.get(url, headers=headers)
            plain = time.process_time() - started
            samples: collections.Counter = collections.Counter()

            def sample(_signum, frame) -> None:  # every 1 ms of this process's CPU time (ITIMER_PROF)
                seen = set()
                while frame is not None:
                    code = frame.f_code
                    name = f"{code.co_name} ({Path(code.co_filename).parent.name}/{Path(code.co_filename).name})"
                    if name not in seen:
                        samples[name] += 1
                        seen.add(name)
                    frame = frame.f_back
                samples["<total>"] += 1

            signal.signal(signal.SIGPROF, sample)
            signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
            for _ in range(requests):
                await client.get(url, headers=headers)
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
        print(f"{url}: {plain * 1000 / requests:.2f} ms CPU per request ({requests} requests)")
        total = samples.pop("<total>", 1)
        print(f"share of CPU samples with the function on the stack ({total} samples, 1 per ms of CPU):")
        for name, n in samples.most_common(top):
            print(f"  {n / total:6.1%}  {name}")
    finally:
        await _pg(f'DROP DATABASE IF EXISTS "{stack.db_name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/api/books/{id}")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--out", type=Path, default=Path("/tmp/buko-profile-request"))
    args = parser.parse_args()
    asyncio.run(main(args.path, args.requests, args.top, args.out))
