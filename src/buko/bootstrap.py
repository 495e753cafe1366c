"""The composition root: the one place that picks adapters for the ports, by configuration only."""
from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from dependency_injector import containers, providers

from buko.adapters.clock import SystemClock
from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.files import FileArtifactStore
from buko.adapters.export.registry import default_exporters
from buko.adapters.live.memory import InProcessLiveEvents
from buko.adapters.llm.offline import OfflineDemoWriter
from buko.adapters.mail.outbox import OutboxMailer, SmtpMailer
from buko.adapters.persistence.engine import make_engine, make_sessionmaker
from buko.adapters.persistence.uow import SqlAlchemyUnitOfWork
from buko.adapters.queue.taskiq_queue import TaskiqTaskQueue, in_memory_brokers
from buko.application.accounts.registration import RegisterUserHandler
from buko.application.billing.subscriptions import SubscribeHandler
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
from buko.application.notifications import SendEmailHandler
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
        settings.mail_from, settings.mail_use_tls,
    )


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
    from redis.asyncio import Redis

    return Redis.from_url(settings.redis_url, health_check_interval=30)


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
    exporters = providers.Singleton(default_exporters)
    cover = providers.Singleton(PillowCoverRenderer)
    artifacts = providers.Singleton(FileArtifactStore, settings.provided.effective_export_dir)


class UseCases(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.DependenciesContainer()
    gateways = providers.DependenciesContainer()

    bus = providers.Singleton(MessageBus, queue=gateways.queue, live=gateways.live, uow=core.uow.provider)
    register_user = providers.Factory(RegisterUserHandler, uow=core.uow.provider, clock=core.clock)
    subscribe = providers.Factory(SubscribeHandler, uow=core.uow.provider, clock=core.clock)
    create_book = providers.Factory(CreateBookHandler, uow=core.uow.provider, bus=bus, clock=core.clock)
    plan_book = providers.Factory(
        PlanBookHandler,
        uow=core.uow.provider,
        bus=bus,
        llm=gateways.llm,
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
        llm=gateways.llm,
        live=gateways.live,
        clock=core.clock,
        worker_id=core.worker_id,
        lease=providers.Factory(timedelta, seconds=settings.provided.chunk_lease_seconds),
        max_wait=settings.provided.model_max_wait_seconds,
        liveness=gateways.liveness,
    )
    cancel_book = providers.Factory(CancelBookHandler, uow=core.uow.provider, bus=bus)
    export_book = providers.Factory(
        ExportBookHandler,
        uow=core.uow.provider,
        exporters=gateways.exporters,
        cover=gateways.cover,
        artifacts=gateways.artifacts,
    )
    send_email = providers.Factory(SendEmailHandler, mailer=gateways.mailer)
    queries = providers.Factory(Queries, uow=core.uow.provider)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, settings=settings)
    use_cases = providers.Container(UseCases, settings=settings, core=core, gateways=gateways)


def build_container(settings: Settings | None = None) -> Container:
    return Container(settings=providers.Object(settings or Settings()))
