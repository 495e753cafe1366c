"""`buko worker`: taskiq receivers for one queue (or all) in this process, stopped gracefully.

SIGTERM (or Ctrl-C) stops fetching at once, lets running tasks finish for a grace period, then
cancels the rest: a cancelled chunk is given back and queued again (tasks.py), so nothing is lost.
A watchdog ends the process if all that has not happened within HARD_STOP seconds.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from taskiq.receiver import Receiver

from buko.adapters.queue.inspect import QueueInspector
from buko.adapters.queue.redis_streams import HEARTBEAT_TTL
from buko.application.commands import EMAIL_QUEUE, GENERATION_QUEUE
from buko.bootstrap import build_container
from buko.config import Settings
from buko.entrypoints.worker.runtime import running
from buko.entrypoints.worker import billing_duties
from buko.entrypoints.worker.sweeper import Sweeper

log = logging.getLogger("buko.worker")
HARD_STOP = 9.5


class TrackingReceiver(Receiver):
    """A taskiq Receiver that remembers its running task callbacks, so shutdown can cancel them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.running: set[asyncio.Task] = set()

    async def callback(self, message, raise_err: bool = False) -> None:
        task = asyncio.current_task()
        self.running.add(task)
        try:
            await super().callback(message, raise_err)
        finally:
            self.running.discard(task)


async def _heartbeat(inspector: QueueInspector, brokers: dict, every: float) -> None:
    """Tell the other workers, `buko write` and `buko doctor` this worker is alive (a key per queue
    with a short TTL): when it stops, what it held is taken over."""
    while True:
        try:
            for queue, broker in brokers.items():
                await inspector.heartbeat(queue, broker.consumer_name, every * HEARTBEAT_TTL)
        except Exception as exc:  # Redis away for a moment: the next beat will do
            log.warning("heartbeat failed: %s", exc)
        if asyncio.current_task().cancelling():  # a cancellation redis-py swallowed
            raise asyncio.CancelledError
        await asyncio.sleep(every)


async def _leave(inspector: QueueInspector, brokers: dict) -> None:
    """Say goodbye to Redis: heartbeat keys gone, out of the consumer groups. Best effort: with Redis
    down the workers that stay remove this one once its heartbeat has expired."""
    try:
        async with asyncio.timeout(1.5):
            for queue, broker in brokers.items():
                await inspector.forget(queue, broker.consumer_name)
                await broker.forget_consumer()
    except Exception as exc:
        log.warning("could not leave the queues cleanly (%s); the other workers will tidy up", exc or "timeout")


def _watchdog() -> None:
    def kill() -> None:
        log.error("worker did not stop within %.1f s: exiting now", HARD_STOP)
        os._exit(1)

    timer = threading.Timer(HARD_STOP, kill)
    timer.daemon = True
    timer.start()


async def serve(settings: Settings, queues: list[str], concurrency: int) -> int:
    """Run until SIGTERM/SIGINT. Returns the process exit code."""
    container = build_container(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(container):
        brokers = {q: container.gateways.brokers()[q] for q in queues}
        for broker in brokers.values():
            # One name for this process everywhere: its consumers, its heartbeats, its chunk leases,
            # so a lease's holder can be looked up by its heartbeat.
            broker.consumer_name = container.core.worker_id()
        inspector = QueueInspector(container.gateways.redis(), settings.redis_prefix)
        finish = asyncio.Event()
        executor = ThreadPoolExecutor(max_workers=2)
        receivers = []
        for broker in brokers.values():
            broker.is_worker_process = True
            receivers.append(TrackingReceiver(
                broker, executor=executor, run_startup=False, max_async_tasks=concurrency,
                wait_tasks_timeout=settings.worker_shutdown_grace_seconds,
            ))
        listening = [asyncio.create_task(r.listen(finish)) for r in receivers]
        helpers = [asyncio.create_task(_heartbeat(inspector, brokers, settings.worker_heartbeat_seconds))]
        if GENERATION_QUEUE in brokers:
            helpers.append(asyncio.create_task(Sweeper(container).run()))
        if EMAIL_QUEUE in brokers:
            helpers.append(asyncio.create_task(billing_duties.run(container)))
        print(f"buko worker: consuming {', '.join(queues)} with concurrency {concurrency}", flush=True)
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopped, *listening], return_when=asyncio.FIRST_COMPLETED)
        crashed = stopped not in done
        _watchdog()
        log.warning("worker stopping%s", " (a receiver died)" if crashed else "")
        finish.set()
        for helper in helpers:
            helper.cancel()
        await asyncio.wait(listening, timeout=settings.worker_shutdown_grace_seconds + 1.5)
        busy = [t for r in receivers for t in r.running]
        for task in busy:
            task.cancel()  # each gives its chunk back (tasks.py) before its message is acknowledged
        if busy:
            await asyncio.wait(busy, timeout=HARD_STOP - settings.worker_shutdown_grace_seconds - 2)
        for task in (*listening, *helpers, stopped):
            task.cancel()
        # Bounded: redis-py can swallow a cancellation that lands as a read times out, and a task
        # that missed it must not keep the worker from stopping.
        await asyncio.wait([*listening, *helpers, stopped], timeout=1.5)
        await _leave(inspector, brokers)
        executor.shutdown(wait=False)
    print("buko worker: stopped", flush=True)
    return 1 if crashed else 0
