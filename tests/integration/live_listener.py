"""A subscriber in its own process, for test_live_redis: prints each event as a JSON line.

    python -m tests.integration.live_listener REDIS_URL PREFIX BOOK_ID [--resume-after-events N]

With --resume-after-events N it reads N events, disconnects, then resumes from the last sequence
number it saw (printing {"resumed_from": seq} in between). It stops at book_written.
"""
from __future__ import annotations

import argparse
import asyncio
import json

from redis.asyncio import Redis

from buko.adapters.live.redis import RedisLiveEvents


async def listen(url: str, prefix: str, book_id: str, resume_after: int | None) -> None:
    redis = Redis.from_url(url)
    live = RedisLiveEvents(redis, prefix)
    print(json.dumps({"ready": True, "last_seq_at_start": await live.last_seq(book_id)}), flush=True)
    last, seen = 0, 0
    try:
        while True:
            events = live.subscribe(book_id, after=last)
            async for event in events:
                print(json.dumps(event), flush=True)
                last, seen = event["seq"], seen + 1
                if event["type"] == "book_written":
                    return
                if resume_after is not None and seen == resume_after:
                    break
            await events.aclose()
            print(json.dumps({"resumed_from": last}), flush=True)
            await asyncio.sleep(0.3)  # events keep coming meanwhile: the resume must catch up on them
    finally:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("prefix")
    parser.add_argument("book_id")
    parser.add_argument("--resume-after-events", type=int, default=None)
    args = parser.parse_args()
    asyncio.run(asyncio.wait_for(listen(args.url, args.prefix, args.book_id, args.resume_after_events), 90))


if __name__ == "__main__":
    main()
