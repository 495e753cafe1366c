"""Settings from the environment (the original system's names), with embedded defaults.

Unset DATABASE_URL means SQLite in BUKO_DATA_DIR (the user's data folder when unset); unset REDIS_URL means in-process queues and
live events; unset ANTHROPIC_API_KEY means the offline demo writer.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


def default_data_dir() -> Path:
    """The user's data folder (~/.local/share/buko on Linux): the same books from any current folder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("buko", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=lambda: default_data_dir(), validation_alias=_env("BUKO_DATA_DIR"))
    database_url: str = Field("", validation_alias=_env("DATABASE_URL"))
    db_pool_size: int = Field(20, ge=1, validation_alias=_env("DB_POOL_SIZE"))
    db_max_overflow: int = Field(30, ge=0, validation_alias=_env("DB_MAX_OVERFLOW"))
    db_pool_timeout: float = Field(30.0, gt=0, validation_alias=_env("DB_POOL_TIMEOUT"))
    redis_url: str = Field("", validation_alias=_env("REDIS_URL"))

    anthropic_api_key: SecretStr | None = Field(None, validation_alias=_env("ANTHROPIC_API_KEY"))
    anthropic_base_url: str = Field("", validation_alias=_env("ANTHROPIC_BASE_URL"))
    claude_model: str = Field("claude-sonnet-4-20250514", validation_alias=_env("CLAUDE_MODEL"))
    claude_max_tokens: int = Field(64_000, ge=256, validation_alias=_env("CLAUDE_MAX_TOKENS"))
    claude_thinking_budget: int = Field(0, ge=0, validation_alias=_env("CLAUDE_THINKING_BUDGET"))
    # Dollars per million tokens "input,output[,cache_write,cache_read]": for a model Buko does not know
    # (or to override the catalogue's prices); unset means the catalogue's.
    claude_prices: str = Field("", validation_alias=_env("CLAUDE_PRICES"))
    # Claude: prompt caching, length control, retries, circuit breaker and client-side limits
    claude_prompt_caching: bool = Field(True, validation_alias=_env("CLAUDE_PROMPT_CACHING"))
    claude_max_continuations: int = Field(3, ge=0, le=10, validation_alias=_env("CLAUDE_MAX_CONTINUATIONS"))
    claude_architecture_attempts: int = Field(3, ge=1, le=10, validation_alias=_env("CLAUDE_ARCHITECTURE_ATTEMPTS"))
    claude_request_timeout: float = Field(900.0, gt=0, validation_alias=_env("CLAUDE_REQUEST_TIMEOUT"))
    claude_stream_idle_timeout: float = Field(90.0, gt=0, validation_alias=_env("CLAUDE_STREAM_IDLE_TIMEOUT"))
    claude_max_attempts: int = Field(6, ge=1, validation_alias=_env("CLAUDE_MAX_ATTEMPTS"))
    claude_backoff_seconds: float = Field(1.0, ge=0, validation_alias=_env("CLAUDE_BACKOFF_SECONDS"))
    claude_backoff_max_seconds: float = Field(60.0, ge=0, validation_alias=_env("CLAUDE_BACKOFF_MAX_SECONDS"))
    claude_breaker_threshold: int = Field(5, ge=1, validation_alias=_env("CLAUDE_BREAKER_THRESHOLD"))
    claude_breaker_ttl: float = Field(30.0, gt=0, validation_alias=_env("CLAUDE_BREAKER_TTL_SECONDS"))
    claude_requests_per_minute: int = Field(1_000, ge=1, validation_alias=_env("CLAUDE_REQUESTS_PER_MINUTE"))
    claude_output_tokens_per_minute: int = Field(
        80_000, ge=1_000, validation_alias=_env("CLAUDE_OUTPUT_TOKENS_PER_MINUTE")
    )
    claude_max_in_flight: int = Field(16, ge=1, validation_alias=_env("CLAUDE_MAX_IN_FLIGHT"))

    chunk_words: int = Field(2_500, ge=100, le=20_000, validation_alias=_env("BUKO_CHUNK_WORDS"))
    chunk_lease_seconds: int = Field(
        900, ge=10, validation_alias=_env("BUKO_CHUNK_LEASE_SECONDS", "CELERY_TASK_SOFT_TIME_LIMIT")
    )
    model_max_wait_seconds: float = Field(1800.0, ge=0, validation_alias=_env("BUKO_MODEL_MAX_WAIT_SECONDS"))
    offline_words_per_second: float = Field(4_000.0, ge=0, validation_alias=_env("BUKO_OFFLINE_WPS"))
    worker_concurrency: int = Field(
        8, ge=1, validation_alias=_env("BUKO_WORKER_CONCURRENCY", "CELERY_WORKER_CONCURRENCY")
    )
    ws_ping_interval: float = Field(60, gt=0, validation_alias=_env("BUKO_WS_PING_INTERVAL", "SOCKETIO_PING_INTERVAL"))
    ws_ping_timeout: float = Field(120, gt=0, validation_alias=_env("BUKO_WS_PING_TIMEOUT", "SOCKETIO_PING_TIMEOUT"))

    # Infrastructure: Redis queues, live events, workers and the sweeper (used when REDIS_URL is set)
    redis_prefix: str = Field("buko:", validation_alias=_env("BUKO_REDIS_PREFIX"))
    queue_maxlen: int = Field(100_000, ge=100, validation_alias=_env("BUKO_QUEUE_MAXLEN"))
    queue_idle_timeout_seconds: float | None = Field(
        None, gt=0, validation_alias=_env("BUKO_QUEUE_IDLE_TIMEOUT_SECONDS", "CELERY_VISIBILITY_TIMEOUT")
    )
    live_buffer_events: int = Field(20_000, ge=100, validation_alias=_env("BUKO_LIVE_BUFFER_EVENTS"))
    live_buffer_ttl_seconds: int = Field(86_400, ge=60, validation_alias=_env("BUKO_LIVE_BUFFER_TTL_SECONDS"))
    worker_shutdown_grace_seconds: float = Field(
        4.0, ge=0, le=6, validation_alias=_env("BUKO_WORKER_SHUTDOWN_GRACE_SECONDS")
    )
    sweep_interval_seconds: float = Field(60.0, gt=0, validation_alias=_env("BUKO_SWEEP_INTERVAL_SECONDS"))
    sweep_grace_seconds: float = Field(120.0, ge=0, validation_alias=_env("BUKO_SWEEP_GRACE_SECONDS"))
    # Workers refresh a heartbeat key this often (it lives 3 beats); a dead worker's tasks and chunks
    # are taken over once its key is gone and its task has been idle 2 beats: within 4-5 beats.
    worker_heartbeat_seconds: float = Field(
        5.0, ge=0.2, le=60, validation_alias=_env("BUKO_WORKER_HEARTBEAT_SECONDS")
    )
    # A worker starting while PostgreSQL or Redis is away (restarting) tries again this long before
    # it gives up: a running worker rides out such an outage, a starting one should too.
    worker_start_wait_seconds: float = Field(
        30.0, ge=0, le=600, validation_alias=_env("BUKO_WORKER_START_WAIT_SECONDS")
    )

    # The web tier (buko serve)
    environment: str = Field("development", pattern="^(development|production)$",
                             validation_alias=_env("BUKO_ENV"))
    http_max_body_bytes: int = Field(1_048_576, ge=16_384, validation_alias=_env("BUKO_HTTP_MAX_BODY_BYTES"))
    ws_queue_events: int = Field(2_000, ge=10, validation_alias=_env("BUKO_WS_QUEUE_EVENTS"))
    ws_recheck_seconds: float = Field(60.0, gt=0, validation_alias=_env("BUKO_WS_RECHECK_SECONDS"))
    # A socket that heard nothing this long while its book is unfinished looks at the stored book
    ws_stored_check_seconds: float = Field(15.0, gt=0, validation_alias=_env("BUKO_WS_STORED_CHECK_SECONDS"))
    auth_cache_seconds: float = Field(5.0, ge=0, le=300, validation_alias=_env("BUKO_AUTH_CACHE_SECONDS"))
    rate_limit_login: str = Field("10/minute", validation_alias=_env("BUKO_RATE_LIMIT_LOGIN"))
    rate_limit_register: str = Field("5/minute;30/hour", validation_alias=_env("BUKO_RATE_LIMIT_REGISTER"))
    rate_limit_work: str = Field("30/minute", validation_alias=_env("BUKO_RATE_LIMIT_WORK"))
    rate_limit_export: str = Field("60/minute", validation_alias=_env("BUKO_RATE_LIMIT_EXPORT"))
    proxy_hops: int = Field(0, ge=0, le=5, validation_alias=_env("BUKO_PROXY_HOPS"))
    fast_password_hashing: bool = Field(False, validation_alias=_env("BUKO_FAST_PASSWORD_HASHING"))

    export_dir: Path | None = Field(None, validation_alias=_env("BUKO_EXPORT_DIR"))
    mail_server: str = Field("", validation_alias=_env("MAIL_SERVER"))
    mail_port: int = Field(587, validation_alias=_env("MAIL_PORT"))
    mail_username: str = Field("", validation_alias=_env("MAIL_USERNAME"))
    mail_password: SecretStr = Field("", validation_alias=_env("MAIL_PASSWORD"))
    mail_from: str = Field("Buko <no-reply@buko.local>", validation_alias=_env("MAIL_DEFAULT_SENDER", "MAIL_FROM"))
    mail_use_tls: bool = Field(True, validation_alias=_env("MAIL_USE_TLS"))
    mail_timeout_seconds: float = Field(30.0, gt=0, validation_alias=_env("MAIL_TIMEOUT_SECONDS"))
    mail_retry_base_seconds: float = Field(30.0, gt=0, validation_alias=_env("MAIL_RETRY_BASE_SECONDS"))
    mail_retry_max_seconds: float = Field(3600.0, gt=0, validation_alias=_env("MAIL_RETRY_MAX_SECONDS"))

    # Billing (a gateway is on when its credentials are set) and links in mail
    public_base_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("BUKO_BASE_URL"))
    secret_key: SecretStr = Field("", validation_alias=_env("BUKO_SECRET_KEY", "SECRET_KEY"))
    paypal_client_id: str = Field("", validation_alias=_env("PAYPAL_CLIENT_ID"))
    paypal_client_secret: SecretStr = Field("", validation_alias=_env("PAYPAL_CLIENT_SECRET"))
    paypal_webhook_id: str = Field("", validation_alias=_env("PAYPAL_WEBHOOK_ID"))
    paypal_mode: str = Field("sandbox", pattern="^(sandbox|live)$", validation_alias=_env("PAYPAL_MODE"))
    paypal_base_url: str = Field("", validation_alias=_env("PAYPAL_BASE_URL"))
    mp_access_token: SecretStr = Field("", validation_alias=_env("MP_ACCESS_TOKEN"))
    mp_webhook_secret: SecretStr = Field("", validation_alias=_env("MP_WEBHOOK_SECRET"))
    mp_base_url: str = Field("", validation_alias=_env("MP_BASE_URL"))
    mp_currency: str = Field("ARS", pattern="^(ARS|BRL|MXN|CLP|COP|PEN|UYU|USD)$", validation_alias=_env("MP_CURRENCY"))
    billing_grace_days: float = Field(7.0, ge=0, validation_alias=_env("BUKO_BILLING_GRACE_DAYS"))
    billing_sweep_seconds: float = Field(60.0, gt=0, validation_alias=_env("BUKO_BILLING_SWEEP_SECONDS"))

    # Observability: /metrics access, structured logs, Sentry, the live analytics dashboard
    metrics_allow: str = Field("", validation_alias=_env("BUKO_METRICS_ALLOW"))
    log_format: str = Field("auto", pattern="^(auto|json|text)$", validation_alias=_env("BUKO_LOG_FORMAT"))
    log_level: str = Field("", pattern="^(|DEBUG|INFO|WARNING|ERROR|debug|info|warning|error)$",
                           validation_alias=_env("BUKO_LOG_LEVEL"))
    log_file: str = Field("", validation_alias=_env("BUKO_LOG_FILE"))
    sentry_dsn: SecretStr = Field("", validation_alias=_env("SENTRY_DSN"))
    worker_metrics_port: int = Field(0, ge=0, le=65535, validation_alias=_env("BUKO_WORKER_METRICS_PORT"))
    analytics_push_seconds: float = Field(5.0, ge=0.5, le=3600, validation_alias=_env("BUKO_ANALYTICS_PUSH_SECONDS"))

    @field_validator("metrics_allow")
    @classmethod
    def _metrics_allow(cls, value: str) -> str:
        import ipaddress

        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"BUKO_METRICS_ALLOW must list networks like 10.0.0.0/8,192.168.1.5; "
                                 f"{part!r} is not one") from None
        return value.strip()

    @field_validator("claude_thinking_budget")
    @classmethod
    def _thinking_budget(cls, value: int) -> int:
        if 0 < value < 1024:
            raise ValueError(f"CLAUDE_THINKING_BUDGET must be 0 (thinking off) or at least 1024 tokens, not {value}")
        return value

    @field_validator("claude_prices")
    @classmethod
    def _prices(cls, value: str) -> str:
        if not value.strip():
            return ""
        try:
            numbers = [float(v) for v in value.split(",")]
        except ValueError:
            numbers = []
        if len(numbers) not in (2, 4) or any(n < 0 for n in numbers):
            raise ValueError("CLAUDE_PRICES must be 2 or 4 non-negative numbers, dollars per million tokens: "
                             f"input,output[,cache_write,cache_read] (e.g. 0.8,4); got {value!r}")
        return value.strip()

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'buko.db').resolve()}"

    @property
    def effective_export_dir(self) -> Path:
        return self.export_dir or self.data_dir / "exports"

    @property
    def effective_queue_idle_timeout(self) -> float:
        """Seconds before an unacknowledged task is redelivered: above the longest chunk (its lease)."""
        return self.queue_idle_timeout_seconds or self.chunk_lease_seconds + 60

    @property
    def single_process(self) -> bool:
        """Without Redis one process does all the work, so a stopped book's leases died with it."""
        return not self.redis_url

    @property
    def secure_cookies(self) -> bool:
        return self.environment == "production"

    @property
    def uses_paypal(self) -> bool:
        return bool(self.paypal_client_id and self.paypal_client_secret.get_secret_value() and self.paypal_webhook_id)

    @property
    def uses_mercadopago(self) -> bool:
        return bool(self.mp_access_token.get_secret_value() and self.mp_webhook_secret.get_secret_value())

    @property
    def uses_anthropic(self) -> bool:
        return bool(self.anthropic_api_key and self.anthropic_api_key.get_secret_value())
