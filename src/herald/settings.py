"""Herald's configuration: one tree, read from the environment once and passed down.

Domain code never reads the environment; the CLI and the app factory build a ``Settings`` and hand it on.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/herald.db"
SUPPORTED_SCHEMES = ("sqlite", "postgresql", "postgres", "postgresql+psycopg")


def parse_retry_schedule(text: str | None) -> tuple[float, ...] | None:
    """``HERALD_WEBHOOK_RETRY_SCHEDULE`` as delays in seconds; None when unset or blank (the default
    schedule). Raises ValueError unless it is comma-separated, finite, non-negative seconds."""
    if not text or not text.strip():
        return None
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise ValueError(f"the webhook retry schedule {text!r} must be comma-separated seconds") from error
    if any(not math.isfinite(delay) or delay < 0 for delay in delays):
        raise ValueError("webhook retry delays must be finite, non-negative seconds")
    return delays


class Settings(BaseSettings):
    """Every knob Herald has, with the defaults a newcomer needs (SQLite under ``./var``)."""

    model_config = SettingsConfigDict(env_prefix="HERALD_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL; sqlite:///path (default) or postgresql://user@host/db.",
    )
    database_pool_size: int = Field(default=10, ge=1, description="Connections per engine and process.")
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="info", description="debug, info, warning, error or critical."
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="json (one object a line) or console (readable key=value lines)."
    )
    metrics_token: str | None = Field(
        default=None,
        description="Serve Prometheus metrics at /metrics to `Authorization: Bearer <token>`; unset: off.",
    )
    report_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long a rendered SenderGuide report page may be served again (0: never).",
    )
    public_base_url: str | None = Field(
        default=None, description="How clients reach this server; printed with a new API key."
    )
    secret_key: str | None = Field(
        default=None,
        description="Fernet key(s) that encrypt webhook passwords and signing secrets at rest; "
        "comma-separated to rotate (the first encrypts). Unset: read from secret_key_file.",
    )
    secret_key_file: Path = Field(
        default=Path("./var/herald.key"),
        description="Where the generated key lives when secret_key is unset (created on first start, 0600).",
    )
    webhook_retry_schedule: str | None = Field(
        default=None,
        description="Comma-separated seconds between webhook attempts; unset: the default schedule "
        "(about 39 hours over 12 attempts, with jitter).",
    )
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, description="Per-attempt HTTP timeout.")
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs on private, loopback and link-local addresses (local testing only).",
    )
    webhook_retention_days: float = Field(
        default=30.0,
        ge=0,
        description="How long delivered and failed webhook deliveries (and their attempt log) are kept; "
        "0 keeps them forever.",
    )
    webhook_concurrency: int = Field(
        default=64, ge=1, description="Webhook deliveries in flight per worker (the webhooks lane)."
    )
    job_concurrency: int = Field(
        default=8, ge=1, description="One-off jobs running at once per worker (the jobs lane)."
    )
    worker_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a claimed item of any lane stays with its worker; a killed worker's work "
        "is taken again after this (never less than the longest item a lane may run, e.g. the webhook "
        "timeout plus 5 s).",
    )
    embedded_worker: bool = Field(
        default=True,
        description="Run the job worker beside `herald serve` (turn off where `herald worker` runs instead).",
    )

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].lower()
        if scheme not in SUPPORTED_SCHEMES:
            raise ValueError(
                f"Herald runs on SQLite (sqlite:///path) or PostgreSQL (postgresql://...), not {scheme}"
            )
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule_is_seconds(cls, value: str | None) -> str | None:
        parse_retry_schedule(value)
        return value

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The URL with the driver Herald uses spelled out (psycopg 3 for PostgreSQL)."""
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file, so the CLI can create its folder; None for in-memory or PostgreSQL."""
        if not self.is_sqlite:
            return None
        path = self.sqlalchemy_url.split(":///", 1)[1] if ":///" in self.sqlalchemy_url else ""
        path = path.split("?", 1)[0]
        if not path or path == ":memory:":
            return None
        return Path(path)
