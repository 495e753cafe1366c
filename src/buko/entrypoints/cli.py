"""The `buko` command."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from buko.application.commands import QUEUES
from buko.config import Settings
from buko.domain.books.brief import LANGUAGES, TRIM_SIZES
from buko.domain.errors import DomainError

FORMATS = ("pdf", "epub", "docx", "md")
DEFAULT_FORMATS = ["pdf", "epub", "docx"]  # md on request


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _formats(text: str) -> list[str]:
    chosen = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"formats must be a comma-separated subset of {','.join(FORMATS)}")
    return chosen


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="buko", description="Buko turns an idea into a finished book.")
    root.add_argument("-v", "--verbose", action="store_true", help="log what happens underneath")
    commands = root.add_subparsers(dest="command", required=True)

    write = commands.add_parser("write", help="plan, approve, write and export a whole book")
    write.add_argument("idea", help="what the book is about (quote it)")
    write.add_argument("--chapters", type=_positive, default=6)
    write.add_argument("--words", type=_positive, default=12_000, help="target length in words")
    write.add_argument("--lang", choices=LANGUAGES, default="en")
    write.add_argument("--genre", default="non-fiction")
    write.add_argument("--audience", default="general readers")
    write.add_argument("--tone", default="clear and engaging")
    write.add_argument("--author", default="Anonymous")
    write.add_argument("--trim-size", choices=TRIM_SIZES, default="A5", help="page size of the PDF and DOCX")
    write.add_argument("--style-sample", type=Path, help="a text file in the author's own style")
    write.add_argument("--formats", type=_formats, default=DEFAULT_FORMATS, help="comma-separated: pdf,epub,docx,md")
    write.add_argument("--out", type=Path, default=Path("buko-out"), help="folder for the exported files")
    write.add_argument("--parallel", type=_positive, default=1, help="chapters written at once (1 = in order)")
    write.add_argument("--quiet", action="store_true", help="no live progress display")

    resume = commands.add_parser("resume", help="resume a failed book and export it")
    resume.add_argument("book_id")
    resume.add_argument("--formats", type=_formats, default=DEFAULT_FORMATS)
    resume.add_argument("--out", type=Path, default=Path("buko-out"))
    resume.add_argument("--parallel", type=_positive, default=1)
    resume.add_argument("--quiet", action="store_true")

    commands.add_parser("books", help="list the books of the local author")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations up to the newest")
    db_commands.add_parser("current", help="show the applied migration")

    serve = commands.add_parser("serve", help="run the web app (API, live sockets, pages)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--workers", type=_positive, default=1,
                       help="hypercorn worker processes (above 1 needs REDIS_URL and DATABASE_URL)")

    admin = commands.add_parser("admin", help="administer accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    make_admin = admin_commands.add_parser("create", help="make EMAIL an administrator (creating the account "
                                                          "with BUKO_ADMIN_PASSWORD, or a password you type)")
    make_admin.add_argument("email")
    make_admin.add_argument("--name", default="Administrator")
    worker = commands.add_parser("worker", help="run a worker pool for a queue (needs REDIS_URL)")
    worker.add_argument("--queue", choices=(*QUEUES, "all"), default="all", help="the queue to consume, or all three")
    worker.add_argument("--concurrency", type=_positive, default=None,
                        help="tasks at once per queue (default BUKO_WORKER_CONCURRENCY)")

    doctor = commands.add_parser("doctor", help="check the database, Redis, queues, Claude and disk")
    doctor.add_argument("--ping", action="store_true", help="also make one small call to the model API")
    doctor.add_argument("--report", type=Path, default=Path("verification_results.json"),
                        help="where to write the JSON report")
    from buko.entrypoints import cli_billing

    cli_billing.add_parser(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings()
    except ValidationError as invalid:
        print(f"buko: bad configuration:\n{invalid}", file=sys.stderr)
        return 2
    from buko.adapters.observability.logs import configure_from_settings

    configure_from_settings(settings, service=args.command in ("serve", "worker"), verbose=args.verbose)
    if args.command == "serve":
        return _serve(args, settings)
    if args.command == "admin":
        return _admin(args, settings)
    if args.command == "worker":
        return _worker(args, settings)
    if args.command == "billing":
        from buko.entrypoints import cli_billing

        try:
            return asyncio.run(cli_billing.run(settings, args))
        except DomainError as refused:
            print(f"buko billing: {refused}", file=sys.stderr)
            return 1
    if args.command == "doctor":
        from buko.entrypoints.doctor import run_doctor

        return asyncio.run(run_doctor(settings, args.report, args.ping))
    from buko.entrypoints import cli_commands

    try:
        return asyncio.run(cli_commands.run(args, settings))
    except DomainError as refused:
        print(f"buko: {refused}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("buko: interrupted; `buko resume BOOK_ID` continues a stopped book", file=sys.stderr)
        return 130


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be a port number (1-65535)")
    return value


def _serve(args, settings: Settings) -> int:
    from buko.entrypoints.http.serve import ServeRefused, run

    host = f"[{args.host}]" if ":" in args.host else args.host
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else host

    def announce() -> None:
        print(f"Buko is running at http://{shown}:{args.port}/  (API docs: /docs; Ctrl-C stops it)", flush=True)

    try:
        return run(settings, host, args.port, args.workers, announce)
    except ServeRefused as refused:
        print(f"buko serve: {refused}", file=sys.stderr)
        return 2
    except OSError as cannot:
        print(f"buko serve: cannot listen on {host}:{args.port}: {cannot.strerror or cannot}", file=sys.stderr)
        return 1


def _admin(args, settings: Settings) -> int:
    from buko.entrypoints.cli_admin import create_admin, read_password

    try:
        print(asyncio.run(create_admin(settings, args.email, args.name, read_password)))
    except DomainError as refused:
        print(f"buko admin: {refused}", file=sys.stderr)
        return 1
    return 0


def _worker(args, settings: Settings) -> int:
    if not settings.redis_url:
        print("buko worker: set REDIS_URL; without it `buko write` runs the work in its own process.",
              file=sys.stderr)
        return 3
    from redis.exceptions import RedisError

    from buko.entrypoints.worker.main import serve

    queues = list(QUEUES) if args.queue == "all" else [args.queue]
    if settings.worker_metrics_port:  # without a shared BUKO_METRICS_DIR: this worker's own /metrics
        from buko.adapters.observability.metrics import serve_process_metrics

        serve_process_metrics(settings.worker_metrics_port)
    try:
        return asyncio.run(serve(settings, queues, args.concurrency or settings.worker_concurrency))
    except (OSError, RedisError) as unreachable:  # asyncpg's refusals are OSErrors
        print(f"buko worker: cannot start: {unreachable}; `buko doctor` checks the services", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
