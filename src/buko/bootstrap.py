"""The composition root: the one place that picks adapters for the ports, by configuration only."""
from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from dependency_injector import containers, providers

from buko.adapters.clock import SystemClock
from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.llm.cover_advisor import OfflineCoverAdvisor
from buko.adapters.export.files import FileArtifactStore
from buko.adapters.export.registry import all_exporters
from buko.adapters.live.memory import InProcessLiveEvents
from buko.adapters.llm.offline import OfflineDemoWriter
from buko.adapters.mail.outbox import OutboxMailer, SmtpMailer
from buko.adapters.persistence.engine import make_engine, make_sessionmaker
from buko.adapters.persistence.uow import SqlAlchemyUnitOfWork
from buko.adapters.observability.instrumented import InstrumentedLanguageModel, InstrumentedMailer, observe_exporters
from buko.adapters.observability.model_status import AdapterModelStatus
from buko.adapters.observability.queue_detail import queue_details
from buko.adapters.persistence.analytics_sql import SqlAnalytics
from buko.adapters.persistence.ops_store import SqlAuditTrail, SqlMilestones, SqlModelCallLedger, SqlTaskFailures
from buko.application.operations.admin_view import AdminView
from buko.application.operations.analytics import Analytics
from buko.application.operations.audit import AuditLog
from buko.application.operations.failures import FailedTasks
from buko.application.operations.milestones import record_milestones
from buko.adapters.queue.taskiq_queue import TaskiqTaskQueue, in_memory_brokers
from buko.adapters.live.hub import InProcessHubSource, LiveHub, RedisHubSource
from buko.adapters.queue.monitor import InProcessQueueMonitor, RedisQueueMonitor
from buko.adapters.security.passwords import Argon2PasswordHasher
from buko.adapters.security.ratelimit import LimitsRateLimiter
from buko.application.accounts.admin import AccountAdmin
from buko.application.accounts.auth import AccountService, CallerCache
from buko.application.accounts.registration import RegisterUserHandler
from buko.application.accounts.tokens import ApiTokens
from buko.application.books.covers import CoverDesigns
from buko.application.books.downloads import RequestExport
from buko.application.books.manage import DeleteBookHandler, RegenerateChunkHandler
from buko.adapters.mail.renderer import JinjaMailRenderer
from buko.application.billing.setup import SetupBilling
from buko.application.billing.subscriptions import Billing, Checkouts, SubscribeHandler
from buko.application.billing.webhooks import Webhooks
from buko.application.books.exporting import ExportBookHandler
from buko.application.books.lifecycle import (
    ApproveArchitectureHandler,
    CancelBookHandler,
    CreateBookHandler,
    EditArchitectureHandler,
    ResumeBookHandler,
    ReviseArchitectureHandler,
    WriteBookHandler,
)
from buko.application.books.planning import PlanBookHandler
from buko.application.books.writing import WriteChunkHandler
from buko.application.messagebus import MessageBus
from buko.application.notifications import EmailVerification, MailRetry, Notifier, SendEmailHandler
from buko.application.queries import Queries
from buko.application.ports import LanguageModel, LiveEvents, Mailer
from buko.config import Settings


def language_model(settings: Settings) -> LanguageModel:
    if settings.uses_anthropic:
        from buko.adapters.llm.claude import ClaudeLanguageModel

        return ClaudeLanguageModel.from_settings(settings)
    return OfflineDemoWriter(words_per_second=settings.offline_words_per_second)


def mailer(settings: Settings) -> Mailer:
    if not settings.mail_server:
        return OutboxMailer()
    return SmtpMailer(
        settings.mail_server, settings.mail_port, settings.mail_username, settings.mail_password.get_secret_value(),
        settings.mail_from, settings.mail_use_tls, settings.mail_timeout_seconds,
    )


def payment_gateways(settings: Settings) -> dict:
    """The gateways whose credentials are set; none in the embedded default (checkout says so)."""
    found = {}
    if settings.uses_paypal:
        from buko.adapters.payments.paypal import PayPalGateway

        found["paypal"] = PayPalGateway(settings.paypal_client_id, settings.paypal_client_secret.get_secret_value(),
                                        settings.paypal_webhook_id, settings.paypal_mode, settings.paypal_base_url)
    if settings.uses_mercadopago:
        from buko.adapters.payments.mercadopago import MercadoPagoGateway

        found["mercadopago"] = MercadoPagoGateway(settings.mp_access_token.get_secret_value(),
                                                  settings.mp_webhook_secret.get_secret_value(),
                                                  settings.mp_currency, settings.mp_base_url)
    return found


def link_secret(settings: Settings) -> str:
    """The key that signs links in mail: BUKO_SECRET_KEY, else one made once and kept in the data folder."""
    if settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    path = settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(uuid.uuid4().hex + uuid.uuid4().hex)
        path.chmod(0o600)
    return path.read_text().strip()


def engine(settings: Settings):
    return make_engine(
        settings.effective_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
    )


def redis_client(settings: Settings):
    """One Redis client (connection pool) per process, or None for the embedded setup."""
    if not settings.redis_url:
        return None
    from redis.asyncio import BlockingConnectionPool, Redis

    # A burst (thousands of sockets reading their buffers) waits for a connection instead of
    # failing with MaxConnectionsError, as the default pool does (seen at ~7,300 sockets).
    pool = BlockingConnectionPool.from_url(settings.redis_url, max_connections=100, timeout=20,
                                           health_check_interval=30)
    return Redis(connection_pool=pool)


def task_brokers(settings: Settings):
    if not settings.redis_url:
        return in_memory_brokers(settings.worker_concurrency)
    from buko.adapters.queue.redis_streams import redis_brokers

    return redis_brokers(settings)


def live_events(settings: Settings, redis) -> LiveEvents:
    if redis is None:
        return InProcessLiveEvents()
    from buko.adapters.live.redis import RedisLiveEvents

    return RedisLiveEvents(redis, settings.redis_prefix, settings.live_buffer_events, settings.live_buffer_ttl_seconds)


def queue_monitor(settings: Settings, redis, brokers):
    if redis is None:
        return InProcessQueueMonitor(brokers)
    return RedisQueueMonitor(redis, settings.redis_prefix)


def live_hub(settings: Settings, redis, live) -> LiveHub:
    """The web process's one hub: its sockets all follow their books through it."""
    source = InProcessHubSource(live) if redis is None else RedisHubSource(redis, live, settings.redis_prefix)
    return LiveHub(source, settings.ws_queue_events)


def worker_liveness(settings: Settings, redis):
    """Workers' heartbeats, with Redis; None in the embedded setup (one process, no heartbeats)."""
    if redis is None:
        return None
    from buko.adapters.queue.inspect import RedisWorkerLiveness

    return RedisWorkerLiveness(redis, settings.redis_prefix)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    engine = providers.Singleton(engine, settings)
    sessionmaker = providers.Singleton(make_sessionmaker, engine)
    uow = providers.Factory(SqlAlchemyUnitOfWork, sessionmaker)
    read_sessionmaker = providers.Singleton(make_sessionmaker, engine, read_only=True)
    read_uow = providers.Factory(SqlAlchemyUnitOfWork, read_sessionmaker)  # queries: never commit
    clock = providers.Singleton(SystemClock)
    worker_id = providers.Singleton(worker_id)


class Gateways(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    llm = providers.Singleton(language_model, settings)
    redis = providers.Singleton(redis_client, settings)
    brokers = providers.Singleton(task_brokers, settings)
    queue = providers.Singleton(TaskiqTaskQueue, brokers)
    live = providers.Singleton(live_events, settings, redis)
    liveness = providers.Singleton(worker_liveness, settings, redis)
    mailer = providers.Singleton(mailer, settings)
    mail_renderer = providers.Singleton(JinjaMailRenderer)
    payments = providers.Singleton(payment_gateways, settings)
    exporters = providers.Singleton(all_exporters)
    cover = providers.Singleton(PillowCoverRenderer)
    cover_advisor = providers.Singleton(OfflineCoverAdvisor)
    artifacts = providers.Singleton(FileArtifactStore, settings.provided.effective_export_dir)
    hasher = providers.Singleton(Argon2PasswordHasher, fast=settings.provided.fast_password_hashing)
    rate_limiter = providers.Singleton(LimitsRateLimiter, settings.provided.redis_url, settings.provided.redis_prefix)
    queue_monitor = providers.Singleton(queue_monitor, settings, redis, brokers)
    hub = providers.Singleton(live_hub, settings, redis, live)


class UseCases(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.DependenciesContainer()
    gateways = providers.DependenciesContainer()

    notifier = providers.Singleton(
        Notifier, uow=core.uow.provider, queue=gateways.queue, renderer=gateways.mail_renderer, clock=core.clock,
        base_url=settings.provided.public_base_url, secret=providers.Singleton(link_secret, settings),
    )
    # Operations: ledgers, and the ports seen through instruments (metrics, log lines, ledger rows)
    model_calls = providers.Singleton(SqlModelCallLedger, core.sessionmaker)
    milestones = providers.Singleton(SqlMilestones, core.sessionmaker)
    task_failures = providers.Singleton(SqlTaskFailures, core.sessionmaker)
    audit_trail = providers.Singleton(SqlAuditTrail, core.sessionmaker)
    observed_llm = providers.Singleton(InstrumentedLanguageModel, gateways.llm, model_calls)
    observed_mailer = providers.Singleton(InstrumentedMailer, gateways.mailer)
    observed_exporters = providers.Singleton(observe_exporters, gateways.exporters)
    analytics = providers.Factory(Analytics, reader=providers.Singleton(SqlAnalytics, core.sessionmaker),
                                  clock=core.clock)
    audit_log = providers.Factory(AuditLog, trail=audit_trail, clock=core.clock)
    failed_tasks = providers.Factory(FailedTasks, failures=task_failures, queue=gateways.queue, clock=core.clock)
    model_status = providers.Singleton(AdapterModelStatus, gateways.llm)
    admin_view = providers.Factory(AdminView, uow=core.uow.provider)
    queue_details = providers.Singleton(queue_details, gateways.redis, settings.provided.redis_prefix)

    plain_bus = providers.Singleton(MessageBus, queue=gateways.queue, live=gateways.live, uow=core.uow.provider,
                                    notifier=notifier)
    bus = providers.Singleton(record_milestones, plain_bus, milestones, core.clock)
    checkouts = providers.Factory(Checkouts, uow=core.uow.provider, clock=core.clock, gateways=gateways.payments)
    billing = providers.Factory(Billing, uow=core.uow.provider, clock=core.clock, gateways=gateways.payments,
                                notify=notifier)
    webhooks = providers.Factory(
        Webhooks, uow=core.uow.provider, clock=core.clock, queue=gateways.queue, gateways=gateways.payments,
        notify=notifier, grace=providers.Factory(timedelta, days=settings.provided.billing_grace_days),
    )
    setup_billing = providers.Factory(SetupBilling, uow=core.uow.provider, gateways=gateways.payments)
    mail_retry = providers.Factory(MailRetry, uow=core.uow.provider, queue=gateways.queue, clock=core.clock)
    callers = providers.Singleton(CallerCache, ttl=settings.provided.auth_cache_seconds)
    email_verification = providers.Factory(EmailVerification, uow=core.uow.provider, clock=core.clock,
                                           secret=providers.Singleton(link_secret, settings), callers=callers)
    register_user = providers.Factory(
        RegisterUserHandler, uow=core.uow.provider, clock=core.clock, hasher=gateways.hasher, notify=notifier
    )
    accounts = providers.Factory(AccountService, uow=core.uow.provider, clock=core.clock, hasher=gateways.hasher,
                                 read_uow=core.read_uow.provider, callers=callers)
    api_tokens = providers.Factory(ApiTokens, uow=core.uow.provider, clock=core.clock, callers=callers)
    account_admin = providers.Factory(AccountAdmin, uow=core.uow.provider, callers=callers)
    subscribe = providers.Factory(SubscribeHandler, uow=core.uow.provider, clock=core.clock)
    create_book = providers.Factory(CreateBookHandler, uow=core.uow.provider, bus=bus, clock=core.clock)
    plan_book = providers.Factory(
        PlanBookHandler,
        uow=core.uow.provider,
        bus=bus,
        llm=observed_llm,
        live=gateways.live,
        clock=core.clock,
        max_wait=settings.provided.model_max_wait_seconds,
    )
    revise_architecture = providers.Factory(ReviseArchitectureHandler, uow=core.uow.provider, bus=bus)
    edit_architecture = providers.Factory(EditArchitectureHandler, uow=core.uow.provider, bus=bus)
    approve_architecture = providers.Factory(
        ApproveArchitectureHandler, uow=core.uow.provider, bus=bus, chunk_words=settings.provided.chunk_words
    )
    write_book = providers.Factory(WriteBookHandler, uow=core.uow.provider, bus=bus, clock=core.clock)
    resume_book = providers.Factory(ResumeBookHandler, uow=core.uow.provider, bus=bus, clock=core.clock)
    write_chunk = providers.Factory(
        WriteChunkHandler,
        uow=core.uow.provider,
        bus=bus,
        llm=observed_llm,
        live=gateways.live,
        clock=core.clock,
        worker_id=core.worker_id,
        lease=providers.Factory(timedelta, seconds=settings.provided.chunk_lease_seconds),
        max_wait=settings.provided.model_max_wait_seconds,
        liveness=gateways.liveness,
    )
    cancel_book = providers.Factory(CancelBookHandler, uow=core.uow.provider, bus=bus)
    regenerate_chunk = providers.Factory(RegenerateChunkHandler, uow=core.uow.provider, bus=bus)
    delete_book = providers.Factory(DeleteBookHandler, uow=core.uow.provider, bus=bus, artifacts=gateways.artifacts)
    export_book = providers.Factory(
        ExportBookHandler,
        uow=core.uow.provider,
        exporters=observed_exporters,
        cover=gateways.cover,
        artifacts=gateways.artifacts,
    )
    cover_designs = providers.Factory(CoverDesigns, uow=core.uow.provider, renderer=gateways.cover,
                                      advisor=gateways.cover_advisor)
    request_export = providers.Factory(RequestExport, export=export_book, queue=gateways.queue)
    send_email = providers.Factory(
        SendEmailHandler, mailer=observed_mailer, uow=core.uow.provider, clock=core.clock,
        backoff=providers.Factory(timedelta, seconds=settings.provided.mail_retry_base_seconds),
        backoff_max=providers.Factory(timedelta, seconds=settings.provided.mail_retry_max_seconds),
    )
    queries = providers.Factory(Queries, uow=core.read_uow.provider)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, settings=settings)
    use_cases = providers.Container(UseCases, settings=settings, core=core, gateways=gateways)


def build_container(settings: Settings | None = None) -> Container:
    return Container(settings=providers.Object(settings or Settings()))
