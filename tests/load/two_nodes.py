"""`scripts/load two-nodes`: two "nodes" on this machine, each a web process plus worker pools in
their own process groups, sharing one PostgreSQL database and one Redis. A book is created and
written through node B's web process while node A's workers are stopped, so node B's workers write
it; it is watched through node A's web process. Live events cross nodes through Redis only: no
sticky sessions, no node-to-node traffic."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import time

from tests.load import seed as seeding
from tests.load.stack import Stack, StackConfig


async def _watch(port: int, token: str, book_id: str, timeout: float) -> dict:
    import websockets

    texts: dict[int, str] = {}
    seen = {"deltas": 0, "status": "", "seqs": []}
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/books/{book_id}",
                                  additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        deadline = time.monotonic() + timeout
        while seen["status"] != "written" and time.monotonic() < deadline:
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            kind = event.get("type")
            if kind == "snapshot":
                seen["status"] = event["book"]["status"]
            elif kind == "delta":
                texts[event["index"]] = texts.get(event["index"], "") + event["text"]
                seen["deltas"] += 1
            elif kind == "chunk_restarted":
                texts[event["index"]] = ""
            elif kind == "status":
                seen["status"] = event["status"]
            elif kind == "ping":
                await ws.send('{"type":"pong"}')
            if "seq" in event and kind != "snapshot":
                seen["seqs"].append(event["seq"])
    seen["texts"] = texts
    return seen


def run(args) -> dict:
    stack = Stack(args.out, StackConfig(nodes=2, web_workers=1, extra_env={"BUKO_LOG_LEVEL": "INFO"}, pools={
        "architecture_high": (1, 4), "book_generation_normal": (1, 4), "emails_low": (1, 2)}))
    stack.start()
    try:
        data = json.loads(seeding_file(stack).read_text())
        writer = data["writers"][0]
        port_a, port_b = stack.ports
        node_b = f"http://127.0.0.1:{port_b}"
        book = seeding.api(node_b, writer["token"], "POST", "/api/books",
                           {"idea": "Two nodes, one book: a demonstration of scale-out", "target_words": args.words,
                            "chapters": 2})
        while seeding.api(node_b, writer["token"], "GET", f"/api/books/{book['id']}")["status"] != "planned":
            time.sleep(1)
        seeding.api(node_b, writer["token"], "POST", f"/api/books/{book['id']}/approve")
        stopped = []
        for proc in list(stack.procs):  # node A keeps only its web process
            if proc.role.startswith("worker0-"):
                os.killpg(proc.pid, signal.SIGTERM)
                proc.popen.wait(20)
                stopped.append(proc.role)

        async def scenario() -> dict:
            watching = asyncio.create_task(_watch(port_a, writer["token"], book["id"], 600))
            await asyncio.sleep(1)
            await asyncio.to_thread(seeding.api, node_b, writer["token"], "POST", f"/api/books/{book['id']}/write",
                                    {"lanes": 1})
            return await watching

        seen = asyncio.run(scenario())
        chunks = seeding.api(node_b, writer["token"], "GET", f"/api/books/{book['id']}/chunks?limit=100")["chunks"]
        time.sleep(3)  # the workers log "task finished" just after the book's last event
        written_by = {}
        for proc in stack.procs:
            if proc.role.startswith("worker"):
                text = proc.log.read_text(errors="replace")
                written_by[proc.role] = sum(1 for line in text.splitlines()
                                            if "write_chunk" in line and book["id"] in line and "task finished" in line)
        streamed = {c["index"]: " ".join(seen["texts"].get(c["index"], "").split()) for c in chunks}
        stored = {c["index"]: " ".join(c["text"].split()) for c in chunks}
        same = streamed == stored
        (args.out / "texts.json").write_text(json.dumps({"streamed": streamed, "stored": stored}, indent=1))
        seqs = seen["seqs"]
        summary = {"command": "two-nodes", "book_id": book["id"], "watched_through": f"node A web (port {port_a})",
                   "written_through": f"node B web (port {port_b})", "node_a_workers_stopped": stopped,
                   "write_chunk_tasks_finished_by": written_by, "final_status": seen["status"],
                   "deltas_received_on_node_a": seen["deltas"], "chunks": len(chunks),
                   "streamed_text_matches_stored": same,
                   "sequence_in_order": bool(seqs) and all(b >= a for a, b in zip(seqs, seqs[1:]))}
    finally:
        stack.stop()
    print(json.dumps(summary, indent=2))
    summary["ok"] = (summary["final_status"] == "written" and summary["streamed_text_matches_stored"]
                     and summary["sequence_in_order"])
    return summary


def seeding_file(stack: Stack):
    from tests.load.harness import seed_stack

    return seed_stack(stack, 0, 1, 1, 0, 0)
