"""The whole Buko stack started from this repository on this machine, for load runs.

`Stack` starts, in their own process groups and on loopback only:
- the simulated model (`tests.support.anthropic_stub`, 63 tok/s and 1.8 s to first token by default),
- the web app (`buko serve --workers N` under hypercorn; or the same ASGI app under uvicorn or granian),
- worker pools, one `buko worker --queue Q` process per pool,
against the machine's PostgreSQL (a fresh database, dropped afterwards) and Redis (a fresh key
prefix, deleted afterwards; never FLUSHALL). `stop()` ends exactly the processes it started.

Nothing here imports locust: locust monkey-patches the standard library with gevent.
"""
from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("BUKO_LOAD_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BUKO_LOAD_REDIS_URL", "redis://127.0.0.1:6379/0")
QUEUES = ("architecture_high", "book_generation_normal", "emails_low")
UNLIMITED = "1000000/minute"

# Load runs raise the per-client rate limits (every simulated user comes from 127.0.0.1) and the
# client-side model limits (an organisation's Anthropic limits, not a property of Buko).
LOAD_SETTINGS = {
    "BUKO_RATE_LIMIT_LOGIN": UNLIMITED, "BUKO_RATE_LIMIT_REGISTER": UNLIMITED,
    "BUKO_RATE_LIMIT_WORK": UNLIMITED, "BUKO_RATE_LIMIT_EXPORT": UNLIMITED,
    "CLAUDE_REQUESTS_PER_MINUTE": "100000", "CLAUDE_OUTPUT_TOKENS_PER_MINUTE": "100000000",
    "CLAUDE_PROMPT_CACHING": "true",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> tuple[float, float, float]:
    return os.getloadavg()


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def tree_of(pid: int) -> list[int]:
    """The process and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process tree (live processes only)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in tree_of(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of a process tree, MB."""
    total = 0
    for p in tree_of(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


@dataclass
class Proc:
    role: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass
class StackConfig:
    web_workers: int = 2
    server: str = "hypercorn"  # or uvicorn, granian: the same ASGI app (buko.entrypoints.http.asgi:app)
    pools: dict[str, tuple[int, int]] = field(default_factory=lambda: {
        "architecture_high": (1, 16), "book_generation_normal": (1, 32), "emails_low": (1, 4)})  # processes, tasks each
    tokens_per_second: float = 63.0
    ttft: float = 1.8
    web_pool: tuple[int, int] = (8, 4)  # DB_POOL_SIZE, DB_MAX_OVERFLOW of each web process
    worker_pool: tuple[int, int] = (6, 4)  # the same for each worker process
    nodes: int = 1  # >1: each node gets its own web server and worker pools (separate process groups)
    extra_env: dict[str, str] = field(default_factory=dict)


class Stack:
    def __init__(self, out: Path, config: StackConfig):
        self.out, self.config = out, config
        self.out.mkdir(parents=True, exist_ok=True)
        self.run_id = uuid.uuid4().hex[:10]
        self.db_name = f"buko_load_{self.run_id}"
        self.prefix = f"bukoload:{self.run_id}:"
        self.procs: list[Proc] = []
        self.ports: list[int] = []
        self.stub_url = ""
        self.env: dict[str, str] = {}

    # -- environment ---------------------------------------------------------
    @property
    def database_url(self) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.db_name}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANTHROPIC", "BUKO_", "CLAUDE_", "DB_", "DATABASE_", "REDIS_", "MAIL_"))}
        env.update(LOAD_SETTINGS)
        env.update(DATABASE_URL=self.database_url, REDIS_URL=REDIS_URL, BUKO_REDIS_PREFIX=self.prefix,
                   BUKO_DATA_DIR=str(self.out / "data"), ANTHROPIC_API_KEY="load-test-key",
                   ANTHROPIC_BASE_URL=self.stub_url, PYTHONUNBUFFERED="1",
                   BUKO_METRICS_DIR=str(self.out / "data" / "metrics"),
                   PYTHONPATH=str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", ""))
        env.update(self.config.extra_env)
        return env

    # -- processes -----------------------------------------------------------
    def _spawn(self, role: str, argv: list[str], env: dict[str, str]) -> Proc:
        log = self.out / "logs" / f"{role}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        handle = log.open("wb")
        popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                 start_new_session=True, preexec_fn=_raise_nofile)
        handle.close()
        proc = Proc(role, popen, log)
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        try:
            self._create_database()
            self._start_stub()
            self.env = self._base_env()
            self._migrate()
            for node in range(self.config.nodes):
                self._start_web(node)
                self._start_workers(node)
            for port in self.ports:
                self._wait_ready(port)
        except BaseException:
            self.stop()
            raise

    def _start_stub(self) -> None:
        port = free_port()
        self._spawn("stub", [sys.executable, "-m", "tests.support.anthropic_stub", "--port", str(port),
                             "--tokens-per-second", str(self.config.tokens_per_second), "--ttft", str(self.config.ttft),
                             "--responder", "tests.support.claude_replies:architecture_reply"], dict(os.environ))
        self.stub_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the model stub did not start; see {self.out / 'logs' / 'stub.log'}")
                time.sleep(0.1)

    def _migrate(self) -> None:
        done = subprocess.run([sys.executable, "-m", "buko.entrypoints.cli", "db", "upgrade"], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=180)
        if done.returncode:
            raise RuntimeError(f"buko db upgrade failed:\n{done.stdout}\n{done.stderr}")

    def web_env(self) -> dict[str, str]:
        size, overflow = self.config.web_pool
        return {**self.env, "DB_POOL_SIZE": str(size), "DB_MAX_OVERFLOW": str(overflow)}

    def _start_web(self, node: int) -> None:
        port = free_port()
        self.ports.append(port)
        workers, env = self.config.web_workers, self.web_env()
        app = "buko.entrypoints.http.asgi:app"
        if self.config.server == "hypercorn":
            argv = [sys.executable, "-m", "buko.entrypoints.cli", "serve", "--port", str(port),
                    "--workers", str(workers)]
            if workers > 1:  # `buko serve` needs them; one worker keeps its own single-process mode
                pass
        elif self.config.server == "hypercorn-uvloop":  # the same server on uvloop, as uvicorn runs by default
            argv = [sys.executable, "-m", "hypercorn", "-k", "uvloop", "-w", str(workers), "-b",
                    f"127.0.0.1:{port}", "--keep-alive", "75", app]
        elif self.config.server == "uvicorn":
            argv = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
                    "--workers", str(workers), "--no-access-log", "--log-level", "warning", "--ws", "websockets"]
        elif self.config.server == "granian":
            argv = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port",
                    str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning", app]
        else:
            raise ValueError(f"unknown server {self.config.server!r}")
        if self.config.server != "hypercorn":
            Path(env["BUKO_METRICS_DIR"]).mkdir(parents=True, exist_ok=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = env["BUKO_METRICS_DIR"]
        self._spawn(f"web{node}-{self.config.server}" if self.config.server != "hypercorn" else f"web{node}", argv, env)

    def _start_workers(self, node: int) -> None:
        size, overflow = self.config.worker_pool
        for queue, (processes, tasks) in self.config.pools.items():
            for n in range(processes):
                env = {**self.env, "DB_POOL_SIZE": str(size), "DB_MAX_OVERFLOW": str(overflow),
                       "CLAUDE_MAX_IN_FLIGHT": str(max(tasks, 16))}
                self._spawn(f"worker{node}-{queue}-{n}", [sys.executable, "-m", "buko.entrypoints.cli", "worker",
                                                          "--queue", queue, "--concurrency", str(tasks)], env)

    def _wait_ready(self, port: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            dead = [p for p in self.procs if p.popen.poll() is not None]
            if dead or time.monotonic() > deadline:
                names = ", ".join(p.role for p in dead) or "the web server"
                raise RuntimeError(f"{names} did not come up; logs in {self.out / 'logs'}")
            time.sleep(0.3)

    def swap_web(self, server: str) -> None:
        """Stop this stack's web processes and serve the same app with `server` on a new port."""
        for p in [p for p in self.procs if p.role.startswith("web")]:
            if p.popen.poll() is None:
                os.killpg(p.popen.pid, signal.SIGTERM)
            try:
                p.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.popen.pid, signal.SIGKILL)
                p.popen.wait(5)
            self.procs.remove(p)
        self.ports = []
        self.config.server = server
        for node in range(self.config.nodes):
            self._start_web(node)
        for port in self.ports:
            self._wait_ready(port)

    def pids(self, prefix: str) -> list[int]:
        return [p.pid for p in self.procs if p.role.startswith(prefix) and p.popen.poll() is None]

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far per role group (web, worker, stub, and postgres: the backends serving
        this run's database; a backend that exited since is not counted)."""
        out: dict[str, float] = {}
        for p in self.procs:
            group = "web" if p.role.startswith("web") else "worker" if p.role.startswith("worker") else p.role
            out[group] = out.get(group, 0.0) + cpu_seconds(p.pid)
        try:
            out["postgres"] = sum(cpu_seconds(pid) for pid in self.pg_backends())
        except Exception:
            pass
        return out

    def pg_backends(self) -> list[int]:
        async def query() -> list[int]:
            import asyncpg

            conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
            try:
                rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> "
                                        "pg_backend_pid()", self.db_name)
                return [r["pid"] for r in rows]
            finally:
                await conn.close()

        return asyncio.run(query())

    def stop(self) -> None:
        """End what this stack started (SIGTERM to each process group, then SIGKILL), drop its data."""
        for p in reversed(self.procs):
            if p.popen.poll() is None:
                try:
                    os.killpg(p.popen.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for p in self.procs:
            try:
                p.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.popen.wait(5)
        self.procs = []
        self._drop()

    # -- services --------------------------------------------------------------
    def _create_database(self) -> None:
        asyncio.run(_pg(f'CREATE DATABASE "{self.db_name}"'))

    def _drop(self) -> None:
        if os.environ.get("BUKO_LOAD_KEEP"):
            return
        try:
            asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        except Exception as exc:  # reported, not fatal: the run's results are already on disk
            print(f"load: could not drop database {self.db_name}: {exc}", file=sys.stderr)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        try:
            batch = []
            for key in client.scan_iter(match=self.prefix + "*", count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)
        finally:
            client.close()

    def pg_connections(self) -> tuple[int, int]:
        """(connections to this run's database now, the server's max_connections)."""
        async def query() -> tuple[int, int]:
            import asyncpg

            conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
            try:
                used = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", self.db_name)
                limit = int(await conn.fetchval("SHOW max_connections"))
                return int(used), limit
            finally:
                await conn.close()

        return asyncio.run(query())

    def book_statuses(self) -> dict[str, int]:
        async def query() -> dict[str, int]:
            import asyncpg

            conn = await asyncpg.connect(self.database_url, timeout=10)
            try:
                rows = await conn.fetch("SELECT status, count(*) AS n FROM books GROUP BY status")
                return {r["status"]: r["n"] for r in rows}
            finally:
                await conn.close()

        return asyncio.run(query())

    def describe(self) -> dict:
        return {"database": self.db_name, "redis_prefix": self.prefix, "stub": self.stub_url, "ports": self.ports,
                "server": self.config.server, "web_workers": self.config.web_workers,
                "pools": {q: list(v) for q, v in self.config.pools.items()}, "nodes": self.config.nodes,
                "tokens_per_second": self.config.tokens_per_second, "ttft": self.config.ttft,
                "web_pool": list(self.config.web_pool), "worker_pool": list(self.config.worker_pool),
                "settings": {k: v for k, v in self.env.items() if k in LOAD_SETTINGS or k.startswith("DB_")}}


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, default=str))
