"""Where processes keep their Prometheus samples when several of them serve one /metrics.

prometheus-client picks its storage when it is first imported: with PROMETHEUS_MULTIPROC_DIR set,
every process writes its samples to files in that folder and /metrics (in any process) adds them
up. This module must therefore run before `prometheus_client` is imported, and imports nothing
that imports it.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
BUKO_ENV = "BUKO_METRICS_DIR"


def configured_dir() -> str:
    """The shared folder, from PROMETHEUS_MULTIPROC_DIR or BUKO_METRICS_DIR ("" when neither is set)."""
    return os.environ.get(ENV) or os.environ.get(BUKO_ENV) or ""


def activate() -> str:
    """Make a configured folder the storage of this process (before prometheus_client is imported)."""
    folder = configured_dir()
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        os.environ[ENV] = folder
    return folder


def prepare_for_workers() -> str:
    """`buko serve --workers N`: the hypercorn workers inherit the folder; without a configured one a
    fresh folder is made for this server (a configured one is shared with `buko worker` processes)."""
    folder = configured_dir() or tempfile.mkdtemp(prefix="buko-metrics-")
    os.environ[BUKO_ENV] = folder
    return activate()
