"""Browser tests: a real `buko serve` on the embedded defaults (SQLite in a temporary folder, the
offline writer) on a free port, driven by Playwright through Debian's /usr/bin/chromium (never a
downloaded browser). Screenshots of every page, desktop and phone, go to test-output/browser/."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "test-output" / "browser"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ADMIN_EMAIL, PASSWORD = "admin@example.com", "correct horse battery"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 812}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(home: Path, extra_env: dict | None = None, port: int | None = None, setup: tuple = ()):
    """`buko serve` as a newcomer runs it, on a free port (or `port`), after `buko admin create` and any
    `setup` commands; yields (base URL, data folder)."""
    assert Path(CHROMIUM).exists(), "the browser tests need Debian's chromium: scripts/setup installs it"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTHROPIC", "DATABASE_URL", "REDIS_URL", "BUKO_", "CLAUDE_", "PAYPAL_", "MP_"))}
    env.update(BUKO_DATA_DIR=str(home / "data"), BUKO_OFFLINE_WPS="250", BUKO_CHUNK_WORDS="400",
               BUKO_FAST_PASSWORD_HASHING="1", BUKO_RATE_LIMIT_REGISTER="1000/minute",
               BUKO_RATE_LIMIT_LOGIN="1000/minute", BUKO_RATE_LIMIT_WORK="1000/minute",
               BUKO_RATE_LIMIT_EXPORT="1000/minute", PYTHONUNBUFFERED="1", BUKO_ADMIN_PASSWORD=PASSWORD)
    env.update(extra_env or {})
    for command in (["admin", "create", ADMIN_EMAIL, "--name", "Admin Ada"], *setup):
        made = subprocess.run([sys.executable, "-m", "buko.entrypoints.cli", *command], env=env, cwd=home,
                              capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stdout + made.stderr
    port = port or free_port()
    log = open(home / "serve.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "buko.entrypoints.cli", "serve", "--port", str(port)],
                               env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("buko serve did not start:\n" + (home / "serve.log").read_text())
        time.sleep(0.2)
    try:
        yield base, home / "data"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`buko serve` on the embedded defaults (no payment gateway configured)."""
    with serving(tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """One browser per test module: the sync API runs its own event loop while it is open, so it is
    closed before other modules' tests (which call asyncio.run) run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, server):
    made = browser.new_context(base_url=server[0], viewport=DESKTOP, accept_downloads=True, locale="en-US")
    yield made
    made.close()


@pytest.fixture
def page(context):
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.console_errors = errors
    yield opened


def pytest_terminal_summary(terminalreporter):
    if SHOTS.exists() and any(SHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots (desktop and 375 px phone): {SHOTS}")
