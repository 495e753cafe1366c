"""Buko's Prometheus metrics: what each process counts, and the /metrics exposition.

Counters and histograms live in the process that observes them. With a shared folder
(PROMETHEUS_MULTIPROC_DIR or BUKO_METRICS_DIR, see multiproc.py) every web and worker process on
the host writes its samples there and any /metrics adds them up; without one, /metrics shows the
serving process only (a single `buko serve`), and `buko worker --metrics-port` serves a worker's
own. Figures that are facts of the whole system (books by status, queue depth, circuit state)
are read at scrape time and added by the caller as `Sample` families.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from buko.adapters.observability import multiproc

MULTIPROCESS = bool(multiproc.activate())

import prometheus_client as prom  # noqa: E402  (after the storage folder is chosen)
from prometheus_client import multiprocess  # noqa: E402
from prometheus_client.core import GaugeMetricFamily  # noqa: E402

SLOW = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200)
FIRST_TOKEN = (0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)
RATE = (5, 10, 20, 40, 60, 80, 100, 150, 250, 500, 1000, 5000, 20000)

HTTP_REQUESTS = prom.Counter("buko_http_requests_total", "HTTP requests by route and status",
                             ["method", "route", "status"])
HTTP_LATENCY = prom.Histogram("buko_http_request_duration_seconds", "HTTP request latency by route",
                              ["method", "route"])
WEBSOCKETS = prom.Gauge("buko_websockets_open", "Open live sockets", multiprocess_mode="livesum")
TASKS = prom.Counter("buko_tasks_total", "Queued tasks run, by task and outcome (ok, failed, handed_back)",
                     ["queue", "task", "outcome"])
TASK_FAILURES = prom.Counter("buko_task_failures_total", "Queued tasks that raised, by task", ["queue", "task"])
TASK_DURATION = prom.Histogram("buko_task_duration_seconds", "How long queued tasks ran, by task",
                               ["queue", "task"], buckets=SLOW)
MODEL_CALLS = prom.Counter("buko_model_calls_total", "Model calls (plan or chunk) by model, kind and outcome",
                           ["model", "kind", "outcome"])
MODEL_REQUESTS = prom.Counter("buko_model_api_requests_total", "Requests to the model's API (with retries "
                              "and continuations), by model", ["model"])
MODEL_TOKENS = prom.Counter("buko_model_tokens_total", "Tokens by model and type (input, output, thinking, "
                            "cache_read, cache_write)", ["model", "type"])
MODEL_COST = prom.Counter("buko_model_cost_usd_total", "What model calls cost, US dollars", ["model"])
FIRST_TOKEN_SECONDS = prom.Histogram("buko_model_time_to_first_token_seconds", "Time to the first text of a call",
                                     ["model", "kind"], buckets=FIRST_TOKEN)
TOKENS_PER_SECOND = prom.Histogram("buko_model_output_tokens_per_second", "Output tokens per second of a call, "
                                   "after its first token", ["model", "kind"], buckets=RATE)
CHUNK_SECONDS = prom.Histogram("buko_chunk_write_seconds", "Latency of writing one chunk (the model call)",
                               ["model", "outcome"], buckets=SLOW)
EXPORT_SECONDS = prom.Histogram("buko_export_duration_seconds", "Rendering an export, by format",
                                ["format", "outcome"], buckets=SLOW)
EMAILS = prom.Counter("buko_emails_total", "Mail handed to the mail server, by outcome (sent, failed)",
                      ["outcome"])
WEBHOOKS = prom.Counter("buko_webhooks_total", "Payment webhooks by gateway and verdict", ["gateway", "verdict"])


@dataclass
class Sample:
    """A gauge read at scrape time: name, help, label names and {label values: value}."""

    name: str
    help: str
    labels: tuple[str, ...]
    values: dict[tuple[str, ...], float] = field(default_factory=dict)


class _ScrapeTime:
    def __init__(self, samples: Iterable[Sample]):
        self.samples = list(samples)

    def collect(self):
        for sample in self.samples:
            family = GaugeMetricFamily(sample.name, sample.help, labels=list(sample.labels))
            for labels, value in sample.values.items():
                family.add_metric(list(labels), value)
            yield family


def exposition(samples: Iterable[Sample] = ()) -> tuple[bytes, str]:
    """The text exposition of every process's metrics plus the scrape-time samples."""
    if MULTIPROCESS:
        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prom.REGISTRY
    extra = prom.CollectorRegistry(auto_describe=False)
    extra.register(_ScrapeTime(samples))
    return prom.generate_latest(registry) + prom.generate_latest(extra), prom.CONTENT_TYPE_LATEST


def process_exited(pid: int) -> None:
    """Drop a finished process's live gauges (its counters keep counting in the totals)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid)


def serve_process_metrics(port: int, host: str = "127.0.0.1") -> None:
    """This process's own /metrics on a port of its own (workers without a shared folder)."""
    if MULTIPROCESS:
        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        prom.start_http_server(port, host, registry=registry)
    else:
        prom.start_http_server(port, host)
