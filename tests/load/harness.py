"""`scripts/load`: start the whole Buko stack on this machine, load it, keep the reports, stop it.

    scripts/load api --users 100,500,1000 --seconds 120      # Locust: the realistic mix (tests/load/locustfile.py)
    scripts/load sockets --sockets 10000 --writing 64        # one web process, an asyncio socket swarm
    scripts/load writing --books 8,16,32,64                  # books writing at once on one worker node
    scripts/load servers --users 300 --seconds 60            # hypercorn vs uvicorn vs granian, same app
    scripts/load two-nodes                                   # two web + worker groups sharing Postgres/Redis
    scripts/load smoke                                       # a few users for ~20 s: 0 errors, every book done

Every run writes to --out (default load-out/<command>-<time>/): Locust's CSV and HTML reports,
the raw samples, summary.json (with the load average sampled during the run) and PNG figures.
Only 127.0.0.1 is ever contacted. See tests/load/README.md.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from tests.load import seed as seeding
from tests.load.stack import ROOT, REDIS_URL, Stack, StackConfig, cpu_seconds, loadavg, rss_mb, write_json

LOCUST = str(Path(sys.executable).with_name("locust"))


class Sampler(threading.Thread):
    """Every `every` seconds: the 1-minute load average, the machine's CPU use, connections to the
    run's database, and the web processes' RSS."""

    def __init__(self, stack: Stack, every: float = 2.0):
        super().__init__(daemon=True)
        self.stack, self.every = stack, every
        self.rows: list[dict] = []
        self.halt = threading.Event()

    def run(self) -> None:
        last = _cpu_times()
        while not self.halt.wait(self.every):
            now = _cpu_times()
            busy = 1 - (now[1] - last[1]) / max(now[0] - last[0], 1)
            last = now
            try:
                used, limit = self.stack.pg_connections()
            except Exception:
                used, limit = -1, -1
            self.rows.append({"t": time.time(), "load1": os.getloadavg()[0], "cpu_busy": round(busy, 3),
                              "pg_connections": used, "pg_max": limit,
                              "web_rss_mb": sum(rss_mb(p) for p in self.stack.pids("web"))})

    def between(self, start: float, end: float) -> list[dict]:
        return [r for r in self.rows if start <= r["t"] <= end]

    def stop(self) -> None:
        self.halt.set()
        self.join(5)


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]


def describe_machine(rows: list[dict]) -> dict:
    if not rows:
        return {}
    loads = [r["load1"] for r in rows]
    return {"load1_min": round(min(loads), 2), "load1_median": round(statistics.median(loads), 2),
            "load1_max": round(max(loads), 2), "cpu_busy_median": statistics.median(r["cpu_busy"] for r in rows),
            "pg_connections_max": max(r["pg_connections"] for r in rows), "pg_max_connections": rows[-1]["pg_max"]}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(int(q * len(values)), len(values) - 1)]


@contextlib.contextmanager
def quiet(log: Path):
    """Send this process's stdout and stderr (file descriptors 1 and 2) to `log` for a while."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    """py-spy samples the process (and its children) for `seconds`; collapsed stacks go to `out`."""
    return subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
                             "--duration", str(int(seconds)), "--rate", "50", "--subprocesses", "--format", "raw",
                             "--output", str(out), "--nonblocking"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def hottest(collapsed: Path, top: int = 25) -> list[tuple[str, float]]:
    """Share of samples in which each function is on the stack (inclusive), from py-spy's raw format."""
    if not collapsed.exists():
        return []
    counts: dict[str, int] = {}
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        for frame in {f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0] + ")" if " (" in f else f
                      for f in stack.split(";")[1:]}:
            counts[frame] = counts.get(frame, 0) + int(n)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    return [(name, round(n / max(total, 1), 3)) for name, n in ranked]


# -- seeding -------------------------------------------------------------------------------------
def seed_stack(stack: Stack, authors: int, writers: int, admins: int, live: int, live_words: int,
               books_per_author: int = 2) -> Path:
    import asyncio

    started = time.monotonic()
    with quiet(stack.out / "logs" / "seed.log"):  # the seeder runs the app here; its logs go to a file
        data = asyncio.run(seeding.seed(stack.database_url, stack.out / "data", authors, writers, admins,
                                        books_per_author))
    if live:
        owners = data["writers"] or data["authors"]
        data["live"] = seeding.start_live(stack.base_url, owners, live, live_words, chapters=max(2, live_words // 2000))
    path = stack.out / "seed.json"
    write_json(path, data)
    print(f"seeded {authors} authors, {writers} writers, {admins} admins, {live} live books "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    return path


# -- Locust ----------------------------------------------------------------------------------------
def run_locust(stack: Stack, seed_file: Path, users: int, seconds: float, out: Path, *, rate: float | None = None,
               processes: int = 1, env: dict | None = None, host: str | None = None) -> dict:
    """Locust headless against 127.0.0.1 for the ramp plus `seconds`; figures over the steady window."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("samples-*.json"):
        old.unlink()
    rate = rate or max(5.0, users / 20)
    ramp = users / rate
    host = host or stack.base_url
    assert host.startswith("http://127.0.0.1:"), "load runs only go to 127.0.0.1"
    argv = [LOCUST, "-f", str(ROOT / "tests/load/locustfile.py"), "--headless", "-u", str(users), "-r", str(rate),
            "-t", f"{int(ramp + seconds)}s", "--host", host, "--csv", str(out / "locust"), "--html",
            str(out / "locust.html"), "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING"]
    if processes > 1:
        argv += ["--processes", str(processes)]
    locust_env = {**os.environ, "BUKO_LOAD_SEED": str(seed_file), "BUKO_LOAD_SAMPLES": str(out), **(env or {})}
    sampler = Sampler(stack)
    sampler.start()
    cpu_before = {**stack.cpu()}
    started = time.time()
    log = (out / "locust.log").open("wb")
    locust = subprocess.Popen(argv, cwd=ROOT, env=locust_env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    locust_cpu = 0.0
    try:
        while locust.poll() is None:
            locust_cpu = max(locust_cpu, cpu_seconds(locust.pid))
            time.sleep(1)
    finally:
        if locust.poll() is None:
            os.killpg(locust.pid, signal.SIGTERM)
            locust.wait(30)
        log.close()
        sampler.stop()
    ended = time.time()
    steady = (started + ramp + 5, ended - 3)
    cpu_after = stack.cpu()
    samples = []
    for f in out.glob("samples-*.json"):
        samples += json.loads(f.read_text())
    window = [s for s in samples if steady[0] <= s[0] <= steady[1]]
    http = [s for s in window if s[1] not in ("WS", "BOOK")]
    span = steady[1] - steady[0]
    figures = {
        "users": users, "ramp_seconds": round(ramp, 1), "steady_seconds": round(span, 1),
        "http": _latency(http, span),
        "http_errors_whole_run": sum(1 for s in samples if s[1] not in ("WS", "BOOK") and s[4]),
        "errors_whole_run": sum(1 for s in samples if s[4]),
        "error_examples": sorted({s[4] for s in samples if s[4]})[:10],
        "ws": {name: _latency([s for s in window if s[1] == "WS" and s[2] == name], span)
               for name in sorted({s[2] for s in window if s[1] == "WS"})},
        "by_name": {name: _latency([s for s in http if s[2] == name], span) for name in sorted({s[2] for s in http})},
        "cpu_seconds": {k: round(cpu_after.get(k, 0) - cpu_before.get(k, 0), 1) for k in cpu_after},
        "locust_cpu_seconds": round(locust_cpu, 1), "wall_seconds": round(ended - started, 1),
        "machine": describe_machine(sampler.between(*steady)),
        "locust_exit": locust.returncode,
    }
    write_json(out / "figures.json", figures)
    return figures


def _latency(rows: list, span: float) -> dict:
    ms = [r[3] for r in rows]
    return {"count": len(rows), "rps": round(len(rows) / span, 1) if span > 0 else 0,
            "p50": round(pct(ms, .50), 1), "p95": round(pct(ms, .95), 1), "p99": round(pct(ms, .99), 1),
            "errors": sum(1 for r in rows if r[4])}


def print_row(f: dict, label: str = "") -> None:
    h, m = f["http"], f["machine"]
    print(f"{label or f['users']:>8} users  {h['rps']:7.1f} req/s  p50 {h['p50']:7.1f}  p95 {h['p95']:7.1f}  "
          f"p99 {h['p99']:7.1f} ms  errors {f['errors_whole_run']}  load1 {m.get('load1_median')} "
          f"(max {m.get('load1_max')})  cpu {f['cpu_seconds']}  locust {f['locust_cpu_seconds']} s", flush=True)


# -- commands ----------------------------------------------------------------------------------------
def cmd_api(args) -> dict:
    stack = Stack(args.out, StackConfig(web_workers=args.web_workers, server=args.server))
    stack.start()
    try:
        seed_file = seed_stack(stack, args.authors, args.writers, 2, args.live, 20000)
        profiles: list[subprocess.Popen] = []
        results = []
        for users in args.users:
            prof = None
            if args.profile and users == args.users[-1]:  # the web workers under the heaviest step, after its ramp
                prof = threading.Timer(users / max(5.0, users / 20) + 10, lambda: profiles.append(
                    profile(stack.pids("web")[0], 30, args.out / "profile-api.txt")))
                prof.start()
            f = run_locust(stack, seed_file, users, args.seconds, args.out / f"u{users}", processes=args.processes,
                           env={"BUKO_LOAD_THINK": str(args.think)})
            if prof is not None:
                for started in profiles:
                    started.wait(60)
                f["profile"] = hottest(args.out / "profile-api.txt")
            print_row(f)
            results.append(f)
        admin = json.loads(seed_file.read_text())["admins"][0]["token"]
        books = seeding.wait_quiet(stack.base_url, admin, timeout=args.drain)
        summary = {"command": "api", "stack": stack.describe(), "steps": results, "books": books}
    finally:
        stack.stop()
    write_json(args.out / "summary.json", summary)
    from tests.load import plots

    plots.api(summary, args.out / "api.png")
    return summary


def cmd_smoke(args) -> dict:
    """A few users of every kind for ~20 s; exit status 1 unless 0 errors and every started book completed."""
    config = StackConfig(web_workers=2, pools={"all": (1, 8)}, tokens_per_second=args.tokens_per_second,
                         ttft=args.ttft)  # one worker process for the three queues: quicker to start
    stack = Stack(args.out, config)
    stack.start()
    try:
        seed_file = seed_stack(stack, 3, 3, 1, 1, 2000, books_per_author=1)
        f = run_locust(stack, seed_file, args.users, args.seconds, args.out / "locust", rate=args.users,
                       env={"BUKO_LOAD_THINK": "0.3", "BUKO_LOAD_WEIGHTS": "browser=4,reader=2,writer=3,admin=1",
                            "BUKO_LOAD_REGISTER_SHARE": "0.5"})
        admin = json.loads(seed_file.read_text())["admins"][0]["token"]
        books = seeding.wait_quiet(stack.base_url, admin, timeout=args.drain)
    finally:
        stack.stop()
    summary = {"command": "smoke", "figures": f, "books": books, "stack": stack.describe()}
    write_json(args.out / "summary.json", summary)
    print_row(f)
    print(f"books by status after the run: {books}")
    ok = (f["errors_whole_run"] == 0 and books["failed"] == 0 and books["writing"] == 0 and books["planning"] == 0
          and books["written"] > 0 and f["locust_exit"] == 0)
    print("smoke: OK" if ok else "smoke: FAILED", flush=True)
    summary["ok"] = ok
    return summary


def cmd_servers(args) -> dict:
    """The same Browser load against hypercorn, uvicorn and granian serving the same ASGI app, one after
    the other on one stack (same database, same seed), `--rounds` times."""
    stack = Stack(args.out, StackConfig(web_workers=args.web_workers, server=args.servers[0],
                                        pools={"emails_low": (1, 2)}))
    stack.start()
    results = []
    try:
        seed_file = seed_stack(stack, 40, 0, 1, 0, 0, books_per_author=1)
        for round_no in range(args.rounds):
            for server in args.servers:
                if stack.config.server != server:
                    stack.swap_web(server)
                f = run_locust(stack, seed_file, args.users, args.seconds, args.out / f"{server}-{round_no}",
                               processes=args.processes,
                               env={"BUKO_LOAD_THINK": str(args.think), "BUKO_LOAD_WEIGHTS": "browser=1"})
                f["server"] = server
                print_row(f, server)
                results.append(f)
    finally:
        stack.stop()
    summary = {"command": "servers", "users": args.users, "think": args.think, "steps": results}
    write_json(args.out / "summary.json", summary)
    from tests.load import plots

    plots.servers(summary, args.out / "servers.png")
    return summary


def cmd_sockets(args) -> dict:
    """`--sockets` websockets on ONE web process: RSS per socket, publish-to-arrival with books writing."""
    stack = Stack(args.out, StackConfig(web_workers=1, pools={
        "architecture_high": (1, 16), "book_generation_normal": (args.gen_processes, max(1, args.writing // args.gen_processes)),
        "emails_low": (1, 2)}, extra_env={"BUKO_WS_RECHECK_SECONDS": str(args.recheck)} if args.recheck else {}))
    stack.start()
    probe = swarm = None
    try:
        authors = max(1, min(args.sockets // 50, 200))
        seed_file = seed_stack(stack, authors, max(args.writing, 1), 1, 0, 0, books_per_author=1)
        data = json.loads(seed_file.read_text())
        probe_out = args.out / "probe.json"
        probe = subprocess.Popen([sys.executable, "-m", "tests.load.swarm", "probe", "--redis", REDIS_URL,
                                  "--prefix", stack.prefix, "--out", str(probe_out)], cwd=ROOT, start_new_session=True)
        live = seeding.start_live(stack.base_url, data["writers"], args.writing, args.live_words,
                                  chapters=max(2, args.live_words // 2500)) if args.writing else []
        data["live"] = live
        write_json(seed_file, data)
        plan = [{"token": b["token"], "book_id": b["book_id"], "count": args.watchers, "record": True} for b in live]
        rest = args.sockets - sum(p["count"] for p in plan)
        idle = [(a["token"], a["books"][0]) for a in data["authors"]]
        for n in range(len(idle)):
            count = rest // len(idle) + (1 if n < rest % len(idle) else 0)
            plan.append({"token": idle[n][0], "book_id": idle[n][1], "count": count})
        write_json(args.out / "plan.json", plan)
        web = stack.pids("web")[0]
        time.sleep(3)
        rss_before = rss_mb(web)
        cpu_before = cpu_seconds(web)
        sampler = Sampler(stack, every=1.0)
        sampler.start()
        swarm_out = args.out / "swarm.json"
        swarm = subprocess.Popen([sys.executable, "-m", "tests.load.swarm", "watch", "--base",
                                  stack.base_url.replace("http", "ws"), "--plan", str(args.out / "plan.json"),
                                  "--hold", str(args.hold), "--parallel", str(args.parallel), "--out", str(swarm_out),
                                  *(["--open-for", str(args.open_for)] if args.open_for else [])],
                                 cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
        profiles = [profile(web, args.profile_seconds, args.out / "profile-opening.txt")]
        opened_line = json.loads(swarm.stdout.readline() or "{}")
        opened_at = time.time()
        cpu_opened = cpu_seconds(web)
        profiles.append(profile(web, min(args.profile_seconds, max(5, args.hold - 5)), args.out / "profile-open.txt"))
        time.sleep(min(10, args.hold / 3))
        rss_open = rss_mb(web)
        held_line = json.loads(swarm.stdout.readline() or "{}")
        cpu_held = cpu_seconds(web)
        held_at = time.time()
        swarm.wait(120)
        sampler.stop()
        probe.send_signal(signal.SIGTERM)
        probe.wait(30)
        seen = json.loads(swarm_out.read_text())
        published = json.loads(probe_out.read_text())["published"]
        delays = [(t - published[f"{b} {s}"]) * 1000 for b, s, t in seen["arrivals"] if f"{b} {s}" in published]
        held = [(t - published[f"{b} {s}"]) * 1000 for b, s, t in seen["arrivals"]
                if f"{b} {s}" in published and seen["held_from"] <= t <= seen["held_to"]]
        missing = sum(1 for b, s, t in seen["arrivals"] if f"{b} {s}" not in published)
        connect = seen["connect_ms"]
        figures = {
            "sockets": args.sockets, "opened": seen["opened"], "failures": seen["failure_count"],
            "failure_examples": seen["failures"], "ramp_seconds": round(seen["ramp_seconds"], 1),
            "still_open_after_hold": seen["still_open"], "closes": seen["closes"],
            "rss_before_mb": round(rss_before, 1), "rss_open_mb": round(rss_open, 1),
            "rss_per_socket_kb": round((rss_open - rss_before) * 1024 / max(seen["opened"], 1), 1),
            "connect_ms": {"p50": round(pct(connect, .5), 1), "p99": round(pct(connect, .99), 1)},
            "writing_books": len(live), "watchers_per_writing_book": args.watchers,
            "deltas_measured": len(delays), "deltas_unmatched": missing,
            "publish_to_arrival_ms": {"p50": round(pct(delays, .5), 1), "p95": round(pct(delays, .95), 1),
                                      "p99": round(pct(delays, .99), 1), "max": round(max(delays), 1) if delays else None},
            "deltas_while_held": len(held),  # the ramp's handshakes no longer compete for the process
            "publish_to_arrival_held_ms": {"p50": round(pct(held, .5), 1), "p95": round(pct(held, .95), 1),
                                           "p99": round(pct(held, .99), 1), "max": round(max(held), 1) if held else None},
            "web_cpu_share_while_open": round((cpu_held - cpu_opened) / max(held_at - opened_at, 1), 2),
            "web_cpu_seconds_ramp": round(cpu_opened - cpu_before, 1),
            "machine": describe_machine(sampler.between(opened_at, held_at)),
            "rss_timeline": [(r["t"], r["web_rss_mb"]) for r in sampler.rows],
            "opened_line": opened_line, "held_line": held_line,
        }
        for prof in profiles:
            prof.wait(120)
        figures["profile_opening"] = hottest(args.out / "profile-opening.txt")
        figures["profile_open"] = hottest(args.out / "profile-open.txt")
        summary = {"command": "sockets", "stack": stack.describe(), "figures": figures}
    finally:
        for p in (swarm, probe):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(30)
        stack.stop()
    write_json(args.out / "summary.json", summary)
    f = figures
    print(f"sockets: {f['opened']}/{f['sockets']} open ({f['failures']} failed) in {f['ramp_seconds']} s; "
          f"{f['still_open_after_hold']} still open after {args.hold:.0f} s; closes {f['closes']}; RSS "
          f"{f['rss_before_mb']} -> {f['rss_open_mb']} MB = {f['rss_per_socket_kb']} KB/socket; publish->arrival "
          f"{f['publish_to_arrival_ms']} over {f['deltas_measured']} deltas (while held: "
          f"{f['publish_to_arrival_held_ms']} over {f['deltas_while_held']}); web CPU {f['web_cpu_share_while_open']} "
          f"of a core while open; load1 {f['machine'].get('load1_median')} (max {f['machine'].get('load1_max')})",
          flush=True)
    from tests.load import plots

    plots.sockets(summary, args.out / "sockets.png")
    return summary


def cmd_writing(args) -> dict:
    """For each N: N books start writing together on one worker node; words/s delivered vs N x the model's pace."""
    results = []
    for n in args.books:
        out = args.out / f"books-{n}"
        per_process = max(1, -(-n // args.gen_processes))
        stack = Stack(out, StackConfig(web_workers=1, pools={
            "architecture_high": (1, min(n, 32)), "book_generation_normal": (args.gen_processes, per_process),
            "emails_low": (1, 2)}, worker_pool=(args.pool_size, args.pool_overflow)))
        stack.start()
        probe = None
        try:
            seed_file = seed_stack(stack, 0, n, 1, 0, 0)
            data = json.loads(seed_file.read_text())
            probe_out = out / "probe.json"
            probe = subprocess.Popen([sys.executable, "-m", "tests.load.swarm", "probe", "--redis", REDIS_URL,
                                      "--prefix", stack.prefix, "--out", str(probe_out)], cwd=ROOT,
                                     start_new_session=True)
            start_live_at = time.time()
            seeding.start_live(stack.base_url, data["writers"], n, args.words, chapters=args.chapters)
            sampler = Sampler(stack, every=1.0)
            sampler.start()
            cpu0 = stack.cpu()
            time.sleep(args.seconds)
            cpu1 = stack.cpu()
            sampler.stop()
            probe.send_signal(signal.SIGTERM)
            probe.wait(30)
            seen = json.loads(probe_out.read_text())
            timeline = [(t, w) for t, w in seen["timeline"] if t >= start_live_at]
            # steady window: from the first delta + TTFT margin to the end of the measurement
            first = min((t for t, w in timeline if w > 0), default=time.time())
            window = (first + 5, first + args.seconds - 10)
            words = sum(w for t, w in timeline if window[0] <= t <= window[1] and w > 0)
            chunks = sum(1 for t, w in timeline if window[0] <= t <= window[1] and w < 0)
            span = window[1] - window[0]
            machine = describe_machine(sampler.between(*window))
            f = {"books": n, "words_per_second": round(words / span, 1),
                 "ideal_words_per_second": round(n * args.tokens_per_second * 0.75, 1),
                 "chunks_per_minute": round(chunks * 60 / span, 1), "window_seconds": round(span, 1),
                 "cpu_share": {k: round((cpu1.get(k, 0) - cpu0.get(k, 0)) / args.seconds, 2) for k in cpu1},
                 "machine": machine}
            f["efficiency"] = round(f["words_per_second"] / f["ideal_words_per_second"], 3)
        finally:
            if probe is not None and probe.poll() is None:
                os.killpg(probe.pid, signal.SIGTERM)
                probe.wait(30)
            stack.stop()
        print(f"{n:4d} books: {f['words_per_second']:7.1f} words/s of {f['ideal_words_per_second']:7.1f} ideal "
              f"({f['efficiency']:.0%}); {f['chunks_per_minute']} chunks/min; CPU {f['cpu_share']}; "
              f"PG conns max {machine.get('pg_connections_max')}/{machine.get('pg_max_connections')}; "
              f"load1 {machine.get('load1_median')} (max {machine.get('load1_max')})", flush=True)
        results.append(f)
    summary = {"command": "writing", "steps": results, "gen_processes": args.gen_processes,
               "pool": [args.pool_size, args.pool_overflow]}
    write_json(args.out / "summary.json", summary)
    from tests.load import plots

    plots.writing(summary, args.out / "writing.png")
    return summary


def cmd_two_nodes(args) -> dict:
    """Two web processes and two worker groups (separate process groups) on one Postgres and Redis:
    a book written by group B's workers while watched through group A's web process."""
    from tests.load.two_nodes import run

    summary = run(args)
    write_json(args.out / "summary.json", summary)
    return summary


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/load", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="where the reports go (default load-out/<command>-<time>)")
    commands = parser.add_subparsers(dest="command", required=True)

    api = commands.add_parser("api", help="the realistic Locust mix at several user counts")
    api.add_argument("--users", type=_ints, default=[100, 500, 1000])
    api.add_argument("--seconds", type=float, default=120, help="steady seconds per user count (after the ramp)")
    api.add_argument("--web-workers", type=int, default=2)
    api.add_argument("--server", default="hypercorn", choices=("hypercorn", "hypercorn-uvloop", "uvicorn", "granian"))
    api.add_argument("--authors", type=int, default=200)
    api.add_argument("--writers", type=int, default=100)
    api.add_argument("--live", type=int, default=16, help="books writing for the readers to watch")
    api.add_argument("--processes", type=int, default=1, help="Locust processes (--processes)")
    api.add_argument("--think", type=float, default=1.0, help="think-time factor (0: back to back)")
    api.add_argument("--drain", type=float, default=300, help="seconds to wait for started books at the end")
    api.add_argument("--profile", action="store_true", help="py-spy the web workers for 30 s of the last step")

    smoke = commands.add_parser("smoke", help="the CI-sized run")
    smoke.add_argument("--users", type=int, default=10)
    smoke.add_argument("--seconds", type=float, default=20)
    smoke.add_argument("--tokens-per-second", type=float, default=630)
    smoke.add_argument("--ttft", type=float, default=0.18)
    smoke.add_argument("--drain", type=float, default=60)

    servers = commands.add_parser("servers", help="hypercorn vs uvicorn vs granian, same app, same load")
    servers.add_argument("--servers", type=lambda s: s.split(","), default=["hypercorn", "uvicorn", "granian"])
    servers.add_argument("--users", type=int, default=300)
    servers.add_argument("--seconds", type=float, default=60)
    servers.add_argument("--think", type=float, default=0.1)
    servers.add_argument("--rounds", type=int, default=1)
    servers.add_argument("--web-workers", type=int, default=2)
    servers.add_argument("--processes", type=int, default=1)

    sockets = commands.add_parser("sockets", help="many websockets on one web process")
    sockets.add_argument("--sockets", type=int, default=10000)
    sockets.add_argument("--writing", type=int, default=64, help="books writing meanwhile")
    sockets.add_argument("--watchers", type=int, default=2, help="sockets on each writing book (the rest watch quiet books)")
    sockets.add_argument("--live-words", type=int, default=20000)
    sockets.add_argument("--hold", type=float, default=60)
    sockets.add_argument("--parallel", type=int, default=50, help="handshakes in flight")
    sockets.add_argument("--gen-processes", type=int, default=2)
    sockets.add_argument("--recheck", type=float, default=0, help="BUKO_WS_RECHECK_SECONDS (0: the default)")
    sockets.add_argument("--open-for", type=float, default=0, help="stop opening after this many seconds (0: all)")
    sockets.add_argument("--profile-seconds", type=float, default=30, help="py-spy while sockets open, then while held")

    writing = commands.add_parser("writing", help="books writing at once on one worker node")
    writing.add_argument("--books", type=_ints, default=[8, 16, 32, 64])
    writing.add_argument("--seconds", type=float, default=90)
    writing.add_argument("--words", type=int, default=20000)
    writing.add_argument("--chapters", type=int, default=8)
    writing.add_argument("--gen-processes", type=int, default=2, help="generation worker processes on the node")
    writing.add_argument("--pool-size", type=int, default=6)
    writing.add_argument("--pool-overflow", type=int, default=4)
    writing.add_argument("--tokens-per-second", type=float, default=63)

    two = commands.add_parser("two-nodes", help="a book written by one group, watched through the other")
    two.add_argument("--words", type=int, default=3000)

    args = parser.parse_args(argv)

    def stop(signum, _frame):  # `timeout`, CI: unwind, so every `finally` stops what it started
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    logging.disable(logging.INFO)  # the seeder runs the app in this process: keep its task logs off the report
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args.out = (args.out or ROOT / "load-out" / f"{args.command}-{stamp}").resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{args.command}: reports in {args.out}; load average now {' '.join(f'{x:.2f}' for x in loadavg())}",
          flush=True)
    run = {"api": cmd_api, "smoke": cmd_smoke, "servers": cmd_servers, "sockets": cmd_sockets,
           "writing": cmd_writing, "two-nodes": cmd_two_nodes}[args.command]
    summary = run(args)
    return 0 if summary.get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main())
