"""Locust scenarios for Buko: a realistic day of authors, readers and admins over the API.

Run it through `scripts/load` (which starts the stack, seeds accounts and points Locust at
127.0.0.1); by hand: `BUKO_LOAD_SEED=seed.json locust -f tests/load/locustfile.py --host http://127.0.0.1:PORT`.
Never import this module from the app or from pytest: locust monkey-patches with gevent.

Users (weights from BUKO_LOAD_WEIGHTS, default "browser=60,reader=30,writer=8,admin=2"):
- Browser: an author with an API token looking at their library (list, book, chunks, usage, me).
- Reader: watches a live book over the websocket for a while (the author's second screen).
- Writer: the whole journey: register (BUKO_LOAD_REGISTER_SHARE of journeys) or use a seeded account,
  create, wait for the plan, edit the architecture, approve, write, watch it over the websocket until
  written, download Markdown and EPUB.
- Admin: users, books by status, queues.

Think times are multiplied by BUKO_LOAD_THINK (default 1; 0 = back to back). Websocket figures are
reported as Locust request events of type WS: `connect` (handshake), `snapshot` (first frame),
`first delta` (a reader: from connect; a writer: from its POST …/write), `delta gap` (between two
deltas of one chunk) and `watch` (a whole watch; a failure if the socket closed with an error).
"""
from __future__ import annotations

import json
import os
import random
import time
import uuid
from pathlib import Path

import websocket  # websocket-client: blocking, made cooperative by gevent's monkey-patching
from locust import FastHttpUser, User, between, events, task

SEED = json.loads(Path(os.environ.get("BUKO_LOAD_SEED", "seed.json")).read_text())
THINK = float(os.environ.get("BUKO_LOAD_THINK", "1"))
REGISTER_SHARE = float(os.environ.get("BUKO_LOAD_REGISTER_SHARE", "0.1"))
BOOK_WORDS = int(os.environ.get("BUKO_LOAD_BOOK_WORDS", "1000"))
WEIGHTS = dict(pair.split("=") for pair in
               os.environ.get("BUKO_LOAD_WEIGHTS", "browser=60,reader=30,writer=8,admin=2").split(","))
PASSWORD = "load test horse battery 42"


def think(low: float, high: float):
    return between(low * THINK, high * THINK) if THINK > 0 else (lambda self: 0)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def report(environment, name: str, started: float, length: int = 0, exception: Exception | None = None,
           elapsed_ms: float | None = None) -> None:
    environment.events.request.fire(
        request_type="WS", name=name, response_length=length, exception=exception, context={},
        response_time=elapsed_ms if elapsed_ms is not None else (time.perf_counter() - started) * 1000)


class SocketFailed(Exception):
    pass


def watch(user, token: str, book_id: str, *, seconds: float | None = None, until: str | None = None,
          write_started: float | None = None) -> dict:
    """Watch a book over /ws/books/<id>; returns the final state. Every figure goes to Locust."""
    env = user.environment
    url = user.host.replace("http://", "ws://") + f"/ws/books/{book_id}"
    started = time.perf_counter()
    try:
        ws = websocket.create_connection(url, header=[f"Authorization: Bearer {token}"], timeout=30)
    except Exception as failed:
        report(env, "connect", started, exception=failed)
        raise
    report(env, "connect", started)
    state = {"status": "", "deltas": 0}
    last_delta: dict[int, float] = {}
    first = True
    deadline = time.perf_counter() + (seconds if seconds is not None else 900)
    try:
        frame = json.loads(ws.recv())
        if frame.get("type") != "snapshot":
            raise SocketFailed(f"first frame was {frame.get('type')}: {frame}")
        report(env, "snapshot", started)
        state["status"] = frame["book"]["status"]
        while time.perf_counter() < deadline and (until is None or state["status"] != until):
            ws.settimeout(max(0.5, min(30.0, deadline - time.perf_counter())))
            try:
                raw = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if not raw:
                raise SocketFailed("the server closed the socket")
            event = json.loads(raw)
            kind = event.get("type")
            now = time.perf_counter()
            if kind == "ping":
                ws.send('{"type":"pong"}')
            elif kind == "delta":
                state["deltas"] += 1
                if first:
                    origin = write_started if write_started is not None else started
                    report(env, "first delta" + (" after write" if write_started is not None else ""), origin)
                    first = False
                index = event.get("index")
                if index in last_delta:
                    report(env, "delta gap", 0, elapsed_ms=(now - last_delta[index]) * 1000)
                last_delta[index] = now
            elif kind in ("chunk_done", "chunk_restarted"):
                last_delta.pop(event.get("index"), None)
            elif kind == "status":
                state["status"] = event["status"]
                if state["status"] in ("failed", "cancelled"):
                    raise SocketFailed(f"book {book_id} {state['status']}: {event.get('reason', '')}")
            elif kind == "error":
                raise SocketFailed(f"socket error: {event.get('error')}")
        if until is not None and state["status"] != until:
            raise SocketFailed(f"book {book_id} still {state['status']} after the watch")
        report(env, "watch", started, state["deltas"])
    except Exception as failed:
        report(env, "watch", started, state["deltas"], exception=failed)
        raise
    finally:
        ws.close()
    return state


class Browser(FastHttpUser):
    """An author looking at their own library: most of the day's API traffic."""

    weight = int(WEIGHTS.get("browser", 0))
    wait_time = think(2, 8)

    def on_start(self) -> None:
        author = random.choice(SEED["authors"])
        self.headers, self.books = bearer(author["token"]), author["books"]

    @task(4)
    def library(self) -> None:
        self.client.get("/api/books?limit=20", headers=self.headers, name="/api/books")

    @task(3)
    def book(self) -> None:
        self.client.get(f"/api/books/{random.choice(self.books)}", headers=self.headers, name="/api/books/{id}")

    @task(2)
    def chunks(self) -> None:
        self.client.get(f"/api/books/{random.choice(self.books)}/chunks?limit=5", headers=self.headers,
                        name="/api/books/{id}/chunks")

    @task(1)
    def usage(self) -> None:
        self.client.get(f"/api/books/{random.choice(self.books)}/usage", headers=self.headers,
                        name="/api/books/{id}/usage")

    @task(1)
    def me(self) -> None:
        self.client.get("/api/auth/me", headers=self.headers, name="/api/auth/me")


class Admin(FastHttpUser):
    weight = int(WEIGHTS.get("admin", 0))
    wait_time = think(5, 15)

    def on_start(self) -> None:
        self.headers = bearer(random.choice(SEED["admins"])["token"])

    @task(2)
    def users(self) -> None:
        self.client.get(f"/api/admin/users?q={random.choice(['author', 'writer', 'load'])}&limit=20",
                        headers=self.headers, name="/api/admin/users")

    @task(2)
    def books(self) -> None:
        status = random.choice(["writing", "written", "planning", "failed"])
        self.client.get(f"/api/admin/books?status={status}&limit=20", headers=self.headers, name="/api/admin/books")

    @task(1)
    def queues(self) -> None:
        self.client.get("/api/admin/queues", headers=self.headers, name="/api/admin/queues")


class Reader(User):
    """Watches a live book for a while: connect, snapshot, deltas, pongs."""

    weight = int(WEIGHTS.get("reader", 0))
    wait_time = think(5, 20)

    @task
    def read(self) -> None:
        live = random.choice(SEED["live"])
        try:
            watch(self, live["token"], live["book_id"], seconds=random.uniform(20, 60))
        except Exception:  # already reported to Locust as a failed WS request
            pass


class Writer(FastHttpUser):
    """The author's whole journey, from a brief to a downloaded book."""

    weight = int(WEIGHTS.get("writer", 0))
    wait_time = think(10, 30)

    def _account(self) -> str:
        if random.random() >= REGISTER_SHARE:
            return random.choice(SEED["writers"])["token"]
        email = f"new-{uuid.uuid4().hex[:12]}@load.example"
        with self.client.post("/api/auth/register", json={"email": email, "password": PASSWORD, "name": "New Author"},
                              name="/api/auth/register", catch_response=True) as answer:
            if answer.status_code != 201:
                answer.failure(f"register: {answer.status_code} {answer.text[:200]}")
                raise SocketFailed("could not register")
            csrf = answer.json()["csrf_token"]
        made = self.client.post("/api/tokens", json={"name": "load"}, headers={"X-CSRF-Token": csrf},
                                name="/api/tokens")
        self.client.cookiejar.clear()
        return made.json()["token"]

    def _json(self, method: str, path: str, name: str, headers: dict, expect: int, body=None) -> dict:
        with self.client.request(method, path, json=body, headers=headers, name=name, catch_response=True) as answer:
            if answer.status_code != expect:
                answer.failure(f"{method} {name}: {answer.status_code} {answer.text[:300]}")
                raise SocketFailed(f"{method} {name} answered {answer.status_code}")
            return answer.json()

    @task
    def journey(self) -> None:
        try:
            self._journey()
        except SocketFailed:
            pass  # reported where it happened

    def _journey(self) -> None:
        token = self._account()
        h = bearer(token)
        book = self._json("POST", "/api/books", "/api/books [create]", h, 201,
                          {"idea": f"A short guide to {random.choice(['tides', 'bread', 'maps', 'owls'])} for "
                                   "curious readers", "target_words": BOOK_WORDS, "chapters": 2})
        book_id = book["id"]
        deadline = time.monotonic() + 600
        while book["status"] != "planned":
            if book["status"] in ("failed", "cancelled") or time.monotonic() > deadline:
                self.environment.events.request.fire(
                    request_type="BOOK", name="planned", response_time=0, response_length=0, context={},
                    exception=SocketFailed(f"book {book_id} is {book['status']}: {book.get('failure')}"))
                return
            time.sleep(2)
            book = self._json("GET", f"/api/books/{book_id}", "/api/books/{id}", h, 200)
        architecture = self._json("GET", f"/api/books/{book_id}/architecture", "/api/books/{id}/architecture", h, 200)
        edited = architecture["architecture"]
        edited["chapters"][0]["title"] = edited["chapters"][0]["title"][:150] + " (revised)"
        self._json("PUT", f"/api/books/{book_id}/architecture", "/api/books/{id}/architecture [edit]", h, 200,
                   {"version": architecture["version"], "architecture": edited})
        self._json("POST", f"/api/books/{book_id}/approve", "/api/books/{id}/approve", h, 200)
        write_started = time.perf_counter()
        self._json("POST", f"/api/books/{book_id}/write", "/api/books/{id}/write", h, 202, {"lanes": 1})
        watch(self, token, book_id, until="written", write_started=write_started)
        self._json("GET", f"/api/books/{book_id}/chunks?limit=10", "/api/books/{id}/chunks", h, 200)
        for fmt in ("md", "epub"):
            self._download(book_id, fmt, h)

    def _download(self, book_id: str, fmt: str, h: dict) -> None:
        deadline = time.monotonic() + 120
        while True:
            with self.client.get(f"/api/books/{book_id}/export/{fmt}", headers=h, name=f"/api/books/{{id}}/export/{fmt}",
                                 catch_response=True) as answer:
                if answer.status_code == 200 and len(answer.content) > 0:
                    return
                if answer.status_code != 202 or time.monotonic() > deadline:
                    answer.failure(f"export {fmt}: {answer.status_code} {answer.text[:200]}")
                    return
                retry = float(answer.headers.get("Retry-After", "2"))
            time.sleep(retry)


for _cls in (Browser, Admin, Reader, Writer):  # a class weighted 0 is left out of the run
    _cls.abstract = _cls.weight == 0
del _cls  # Locust would take a module-level name bound to a User class for another user class

# Raw samples for scripts/load: it computes each figure over the steady window only (after the ramp).
_SAMPLES_DIR = os.environ.get("BUKO_LOAD_SAMPLES", "")
_samples: list[tuple] = []


@events.request.add_listener
def _keep_sample(request_type, name, response_time, exception=None, **_kwargs) -> None:
    if _SAMPLES_DIR:
        _samples.append((round(time.time(), 3), request_type, name, round(response_time, 2),
                         None if exception is None else str(exception)[:200]))


@events.quitting.add_listener
def _dump_samples(environment, **_kwargs) -> None:
    if _SAMPLES_DIR:
        Path(_SAMPLES_DIR, f"samples-{os.getpid()}.json").write_text(json.dumps(_samples))
