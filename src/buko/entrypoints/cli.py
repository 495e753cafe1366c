"""The `buko` command."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
import asyncio
import logging
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from buko.application.commands import QUEUES
from buko.domain.errors import DomainError
from buko.entrypoints import cli_interrupt
from buko.entrypoints.cli_args import DEFAULT_FORMATS, FORMATS, UsageError  # noqa: F401  (kept importable here)
from buko.entrypoints.cli_parsers import EXIT_CODES, add_author_parsers

if TYPE_CHECKING:
    from buko.config import Settings

WORKER_START_RETRY = 1.0  # seconds between a starting worker's tries to reach PostgreSQL and Redis
# The verbs that run book work in this process when there is no REDIS_URL (see cli_liveness).
WORKING_VERBS = {"write", "plan", "revise", "resume", "regenerate", "export"}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="buko", description="Buko turns an idea into a finished book: plan it, review the architecture, "
        "write it, export it.", epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("-v", "--verbose", action="store_true", help="log what happens underneath")
    root.add_argument("--version", action="version", version=f"buko {_version()}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_author_parsers(commands)

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
    doctor.add_argument("--report", type=Path, default=None,
                        help="where to write the JSON report (default: verification_results.json in BUKO_DATA_DIR)")
    from buko.entrypoints import cli_billing

    cli_billing.add_parser(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        brief = _checked(args)  # every argument, before a database, a queue or a model is touched
    except UsageError as wrong:
        print(f"buko {args.command}: {wrong}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from buko.config import Settings  # pydantic: after the command line is known to be right

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

        report = (args.report or settings.data_dir / "verification_results.json").expanduser()
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            report.touch()
        except OSError as cannot:
            print(f"buko doctor: cannot write the report {report}: {cannot.strerror or cannot}", file=sys.stderr)
            return 2
        return asyncio.run(run_doctor(settings, report, args.ping))
    if args.command in WORKING_VERBS and not args.verbose:
        from buko.entrypoints import cli_model_notice

        cli_model_notice.install(settings)
    if args.command in WORKING_VERBS and not settings.redis_url:
        from buko.entrypoints.cli_liveness import hold_work_lock

        hold_work_lock(settings.data_dir)
    from buko.entrypoints import cli_commands

    try:
        return cli_interrupt.run(cli_commands.run(args, settings, brief))
    except UsageError as wrong:
        print(f"buko {args.command}: {wrong}", file=sys.stderr)
        return 2
    except DomainError as refused:
        print(f"buko {args.command}: {refused}", file=sys.stderr)
        return 1


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("buko")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _checked(args):
    """Checks the author's verbs need before any work; returns the Brief when the verb makes a book."""
    from buko.entrypoints import cli_args

    if args.command not in ("write", "plan", "resume", "export", "delete"):
        return None
    if args.command == "delete" and not args.yes and not sys.stdin.isatty():
        raise UsageError("it asks for confirmation: run it in a terminal, or add --yes")
    if args.command in ("write", "resume", "export"):
        cli_args.check_print(args)
        cli_args.check_out_dir(args.out)
    if args.command == "write":
        if bool(args.idea) == bool(args.book):
            raise UsageError('give the idea in quotes (buko write "IDEA"), or --book ID for a planned book; not both')
        if args.review and args.book:
            raise UsageError("--review is for a new idea; `buko show ID` reviews a planned book")
        if args.review and not sys.stdin.isatty():
            raise UsageError("--review asks questions: run it in a terminal (or use buko plan, then buko approve)")
        if args.book:
            return None
    if args.command in ("write", "plan"):
        return cli_args.brief_from(args)
    return None


def _port(text: str) -> int:
    value = _positive(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be a port number (1-65535)")
    return value


def _serve(args, settings: Settings) -> int:
    from buko.entrypoints.http.serve import ServeRefused, run

    host = f"[{args.host}]" if ":" in args.host else args.host
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else host

    if not settings.redis_url:  # this process runs the books' work: `buko books` can tell
        from buko.entrypoints.cli_liveness import hold_work_lock

        hold_work_lock(settings.data_dir)

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
    # Redis or PostgreSQL restarting as the worker starts (a replacement for a dead worker, say) is
    # ridden out as a running worker rides it out; a service that stays away is reported.
    deadline, said = time.monotonic() + settings.worker_start_wait_seconds, False
    while True:
        try:
            return asyncio.run(serve(settings, queues, args.concurrency or settings.worker_concurrency))
        except (OSError, RedisError) as unreachable:  # asyncpg's refusals are OSErrors
            if time.monotonic() + WORKER_START_RETRY > deadline:
                print(f"buko worker: cannot start: {unreachable}; `buko doctor` checks the services",
                      file=sys.stderr)
                return 1
            if not said:
                print(f"buko worker: waiting for the services ({unreachable}); giving up after "
                      f"{settings.worker_start_wait_seconds:.0f} s", file=sys.stderr, flush=True)
                said = True
            time.sleep(WORKER_START_RETRY)


if __name__ == "__main__":
    sys.exit(main())
