"""The load report's figures (matplotlib, PNG); drawn by scripts/load from its summary.json."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _note(ax, steps: list[dict]) -> None:
    loads = [s.get("machine", {}).get("load1_median") for s in steps]
    ax.text(0.01, 0.99, "load1 (median per step): " + ", ".join(str(x) for x in loads), transform=ax.transAxes,
            va="top", fontsize=7, color="grey")


def api(summary: dict, path: Path) -> None:
    steps = summary["steps"]
    users = [s["users"] for s in steps]
    fig, (lat, thr) = plt.subplots(1, 2, figsize=(11, 4.2))
    for q, style in (("p50", "o-"), ("p95", "s-"), ("p99", "^-")):
        lat.plot(users, [s["http"][q] for s in steps], style, label=q)
    lat.axhline(300, color="red", lw=0.8, ls="--", label="300 ms target (p95)")
    lat.set(xlabel="concurrent users (Locust)", ylabel="HTTP latency, ms", title="API latency over users")
    lat.legend()
    _note(lat, steps)
    thr.plot(users, [s["http"]["rps"] for s in steps], "o-", label="requests/s")
    thr.set(xlabel="concurrent users (Locust)", ylabel="requests/s", title="API throughput over users")
    errs = [s["errors_whole_run"] for s in steps]
    for u, r, e in zip(users, [s["http"]["rps"] for s in steps], errs):
        thr.annotate(f"{e} errors", (u, r), textcoords="offset points", xytext=(0, 6), fontsize=7, ha="center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def servers(summary: dict, path: Path) -> None:
    steps = summary["steps"]
    names = [f"{s['server']}" + (f" #{i}" if sum(x['server'] == s['server'] for x in steps) > 1 else "")
             for i, s in enumerate(steps)]
    fig, (thr, lat) = plt.subplots(1, 2, figsize=(11, 4))
    thr.bar(names, [s["http"]["rps"] for s in steps])
    thr.set(ylabel="requests/s", title=f"Same app, {summary['users']} users")
    x = range(len(steps))
    for q, off in (("p50", -0.25), ("p95", 0), ("p99", 0.25)):
        lat.bar([i + off for i in x], [s["http"][q] for s in steps], width=0.25, label=q)
    lat.set_xticks(list(x), names)
    lat.set(ylabel="ms", title="latency")
    lat.legend()
    _note(thr, steps)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sockets(summary: dict, path: Path) -> None:
    f = summary["figures"]
    timeline = f["rss_timeline"]
    if not timeline:
        return
    t0 = timeline[0][0]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([t - t0 for t, _ in timeline], [m for _, m in timeline])
    ax.set(xlabel="seconds (sockets opening, then held)", ylabel="web process RSS, MB",
           title=f"{f['opened']} sockets on one web process: {f['rss_per_socket_kb']} KB each")
    ax.text(0.01, 0.99, f"load1 median {f['machine'].get('load1_median')}", transform=ax.transAxes, va="top",
            fontsize=7, color="grey")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def writing(summary: dict, path: Path) -> None:
    steps = summary["steps"]
    books = [s["books"] for s in steps]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(books, [s["words_per_second"] for s in steps], "o-", label="measured")
    ax.plot(books, [s["ideal_words_per_second"] for s in steps], "--", color="grey", label="ideal (books x model pace)")
    ax.set(xlabel="books writing at once (one 2-core worker node)", ylabel="words/s streamed",
           title="Chunk throughput over books writing")
    ax.legend()
    _note(ax, steps)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":  # redraw: python -m tests.load.plots load-out/<run>/summary.json
    data = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[1]).with_name(f"{data['command']}.png")
    {"api": api, "servers": servers, "sockets": sockets, "writing": writing}[data["command"]](data, out)
    print(out)
