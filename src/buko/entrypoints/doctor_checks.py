"""The checks `buko doctor` runs. Each returns a Check; none changes anything it looks at."""
from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from buko.adapters.persistence.engine import make_engine
from buko.adapters.persistence.migrate import current, head
from buko.adapters.queue.inspect import QueueInspector
from buko.application.commands import QUEUES
from buko.config import Settings

OK, WARN, FAIL = "ok", "warn", "fail"
TIMEOUT = 5.0
MIN_FREE, LOW_FREE = 100 * 2**20, 2**30


@dataclass
class Check:
    """One line of the report: what was checked, how it went, and the numbers behind it."""

    name: str
    status: str
    detail: str
    data: dict = field(default_factory=dict)


async def database(settings: Settings) -> Check:
    per_process = settings.db_pool_size + settings.db_max_overflow
    engine = make_engine(settings.effective_database_url, settings.db_pool_size, settings.db_max_overflow,
                         settings.db_pool_timeout)
    try:
        async with asyncio.timeout(TIMEOUT):
            revision = await current(engine)
            if engine.dialect.name != "postgresql":
                return Check("database", OK if revision == head() else WARN,
                             f"embedded SQLite, revision {revision} (newest {head()})", {"revision": revision})
            async with engine.connect() as conn:
                max_conn = int((await conn.exec_driver_sql("SHOW max_connections")).scalar())
                reserved = int((await conn.exec_driver_sql("SHOW superuser_reserved_connections")).scalar())
    except Exception as exc:
        return Check("database", FAIL, f"cannot reach {engine.url.render_as_string()}: {_reason(exc)}")
    finally:
        await engine.dispose()
    usable = max_conn - reserved
    data = {"revision": revision, "max_connections": max_conn, "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow, "processes_supported": usable // per_process}
    detail = (f"PostgreSQL, revision {revision}; pool {settings.db_pool_size}+{settings.db_max_overflow} per process, "
              f"server max_connections {max_conn}: room for {usable // per_process} such processes")
    if per_process > usable:
        return Check("database", FAIL, detail + " — one process's pool exceeds the server's limit", data)
    if revision != head():
        return Check("database", FAIL, detail + f" — not migrated to {head()}: run `buko db upgrade`", data)
    return Check("database", WARN if usable // per_process < 4 else OK, detail, data)


async def redis(settings: Settings, client) -> Check:
    if client is None:
        return Check("redis", OK, "not configured: queues and live events run in-process (REDIS_URL unset)")
    try:
        async with asyncio.timeout(TIMEOUT):
            await client.ping()
            info = await client.info("clients")
            try:
                maxclients = int((await client.config_get("maxclients"))["maxclients"])
            except Exception:  # CONFIG may be disabled on managed Redis
                maxclients = int(info.get("maxclients", 0)) or None
            version = (await client.info("server"))["redis_version"]
    except Exception as exc:
        return Check("redis", FAIL, f"cannot reach Redis at {_safe(settings.redis_url)}: {_reason(exc)}")
    connected = info["connected_clients"]
    data = {"version": version, "maxclients": maxclients, "connected_clients": connected}
    status = WARN if maxclients and connected > 0.8 * maxclients else OK
    return Check("redis", status, f"Redis {version}, {connected} clients of maxclients {maxclients}", data)


async def queues(settings: Settings, client) -> list[Check]:
    if client is None:
        return [Check(f"queue {q}", OK, "in-process (no REDIS_URL)") for q in QUEUES]
    inspector, checks = QueueInspector(client, settings.redis_prefix), []
    for queue in QUEUES:
        try:
            async with asyncio.timeout(TIMEOUT):
                state = await inspector.state(queue)
        except Exception as exc:
            checks.append(Check(f"queue {queue}", FAIL, f"cannot read its stream: {_reason(exc)}"))
            continue
        data = {"waiting": state.waiting, "pending": state.pending, "length": state.length,
                "consumers": state.consumers, "live_workers": state.live_workers}
        detail = (f"{state.waiting} waiting, {state.pending} in progress, {len(state.live_workers)} live workers "
                  f"({len(state.consumers)} consumers registered)")
        idle = not state.live_workers  # nobody consumes it: whatever is queued there waits
        checks.append(Check(f"queue {queue}", WARN if idle else OK,
                            detail + (f" — no live worker: start `buko worker --queue {queue}`" if idle else ""), data))
    return checks


async def claude(settings: Settings, ping: bool) -> Check:
    data = {"model": settings.claude_model, "max_tokens": settings.claude_max_tokens,
            "thinking_budget": settings.claude_thinking_budget, "base_url": settings.anthropic_base_url or None}
    from buko.adapters.llm.claude.client import profile_from_settings

    profile = profile_from_settings(settings)
    data.update(thinking=profile.thinking, known_model=profile.known, prices=vars(profile.prices))
    if not settings.uses_anthropic:
        return Check("claude", WARN, "no ANTHROPIC_API_KEY: the offline demo writer is used (not AI)", data)
    detail = (f"key set, model {settings.claude_model}, thinking {data['thinking']}, "
              f"max_tokens {min(settings.claude_max_tokens, profile.max_output)}")
    if profile.warning:
        data["warning"] = profile.warning
        if not ping:
            return Check("claude", WARN, f"{detail}; {profile.warning}", data)
        detail = f"{detail}; {profile.warning}"
    if not ping:
        return Check("claude", OK, detail + " (not contacted; --ping to try a call)", data)
    try:
        import anthropic

        client = anthropic.AsyncAnthropic(api_key=settings.anthropic_api_key.get_secret_value(),
                                          base_url=settings.anthropic_base_url or None, max_retries=0, timeout=30)
        await client.messages.create(model=settings.claude_model, max_tokens=1,
                                     messages=[{"role": "user", "content": "ping"}])
    except Exception as exc:
        tried = str(getattr(client, "base_url", "") or settings.anthropic_base_url or "https://api.anthropic.com")
        data["tried_url"] = tried
        return Check("claude", FAIL, detail + f"; the ping to {tried} failed: {_reason(exc)}", data)
    return Check("claude", WARN if profile.warning else OK, detail + "; ping answered", data)


def exports() -> Check:
    """Fonts from the system packages and the export toolchain (WeasyPrint with Pango, EbookLib, python-docx)."""
    from buko.adapters.export import fonts

    data: dict = {}
    problems = []
    try:
        serif, sans = fonts.serif(), fonts.sans()
        data.update(serif=serif.name, serif_file=serif.regular, sans=sans.name, sans_file=sans.regular)
        if not serif.regular:
            problems.append("no font found (install fonts-ebgaramond, fonts-noto-core or fonts-dejavu)")
    except Exception as exc:
        problems.append(f"fonts: {_reason(exc)}")
    for module in ("weasyprint", "ebooklib", "docx", "PIL"):
        try:
            imported = __import__(module)
            data[module] = str(getattr(imported, "__version__", "present"))
        except Exception as exc:  # WeasyPrint raises OSError when Pango is missing
            problems.append(f"{module}: {_reason(exc)}")
    data["epubcheck"] = bool(shutil.which("epubcheck") or Path("/usr/share/java/epubcheck.jar").exists())
    if problems:
        return Check("exports", FAIL, "; ".join(problems), data)
    return Check("exports", OK, f"fonts {data['serif']} and {data['sans']}; WeasyPrint {data['weasyprint']}, "
                 "EbookLib, python-docx, Pillow", data)


def disk(settings: Settings) -> Check:
    target = Path(settings.effective_export_dir).resolve()
    existing = next(p for p in (target, *target.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    data = {"path": str(target), "free_bytes": free}
    detail = f"{free / 2**30:.1f} GiB free for exports at {target}"
    return Check("disk", FAIL if free < MIN_FREE else WARN if free < LOW_FREE else OK, detail, data)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:.0f} s"
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable REDIS_URL)"
