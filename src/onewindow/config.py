"""Settings, read from environment variables (prefix ``ONEWINDOW_``) or a settings file.

A missing or bad setting stops start-up with one clear sentence (:class:`ConfigError`), never a
traceback.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout this package runs from (used for defaults only)."""


def _default_data_dir() -> Path:
    return (REPO_ROOT.parent / "shared" / "data").resolve()


def _settings_file() -> str | None:
    path = os.environ.get("ONEWINDOW_SETTINGS_FILE")
    if path:
        return path
    default = REPO_ROOT / "var" / "onewindow.env"
    return str(default) if default.exists() else None


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one sentence for the operator."""


class Settings(BaseSettings):
    """Everything the single window needs to start."""

    model_config = SettingsConfigDict(env_prefix="ONEWINDOW_", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{REPO_ROOT / 'var' / 'onewindow.db'}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    ens_rules_dir: Path = Field(
        default_factory=lambda data: Path(data["data_dir"]).parent / "examples" / "ens-ics-315",
        description="Entry summary declaration rule set: a folder with the CC315A schema in "
        "xsds/ and the business rules in rules/; a country points it at its own",
    )
    secret_key: str = Field(default="", description="At least 32 characters, kept secret")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    session_hours: int = Field(default=8, ge=1, le=24 * 7)
    login_max_failures: int = Field(
        default=5, ge=1, description="failed logins for one e-mail from one source per window"
    )
    login_max_source_failures: int = Field(
        default=50, ge=1, description="failed logins from one source, any e-mail, per window"
    )
    login_window_minutes: int = Field(
        default=15, ge=1, description="how long failed logins count against their source"
    )
    cookie_secure: bool | None = Field(
        default=None, description="Force Secure cookies; by default only over HTTPS"
    )
    worker_interval_seconds: float = Field(default=1.0, gt=0)
    run_worker: bool = Field(
        default=True, description="deliver events in the server; off when `onewindow worker` runs"
    )
    audit_key: str = Field(
        default="",
        description="Keys the audit chain (HMAC-SHA256); at least 32 characters, kept outside "
        "the database. Empty: derived from the secret key for this one purpose",
    )
    audit_checkpoint_file: Path = Field(
        default_factory=lambda: REPO_ROOT / "var" / "audit-checkpoints.jsonl",
        description="Append-only JSON lines where the audit chain's head is published; keep it "
        "on another machine or on WORM storage",
    )
    audit_checkpoint_seconds: float = Field(
        default=60.0, gt=0, description="the event worker publishes the head this often"
    )
    audit_checkpoint_entries: int = Field(
        default=1000, ge=1, description="... or as soon as this many entries were added"
    )
    log_level: str = "INFO"
    country: str = Field(default="GB", pattern=r"^[A-Z]{2}$", description="the national country")
    currency: str = Field(default="GBP", pattern=r"^[A-Z]{3}$", description="national currency")
    time_zone: str = "UTC"
    service_desk_email: str = Field(
        default="servicedesk@onewindow.example", description="where users write for help"
    )
    service_desk_phone: str = Field(
        default="+44 20 7946 0000", description="the service desk's telephone, open 24/7"
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="largest request body (413 beyond)"
    )
    max_upload_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="largest body of a file upload (WCO XML)"
    )
    cargo_deadline_hours: dict[str, float] = Field(
        default={"sea": 24, "air": 4, "rail": 2, "road": 1},
        description="how long before arrival a manifest is due, by mode; later is recorded late",
    )
    cargo_undeclared_days: int = Field(
        default=14,
        ge=1,
        description="manifested cargo not declared this long after arrival is listed for customs",
    )
    cargo_dwell_days: int = Field(
        default=7, ge=1, description="discharged cargo not gated out this long is listed"
    )
    cargo_mass_tolerance_percent: float = Field(
        default=5,
        ge=0,
        le=100,
        description="declared gross mass above the manifested mass by more than this stops release",
    )
    statistics_dir: Path = Field(
        default_factory=lambda: REPO_ROOT / "var" / "statistics",
        description="where the analytical store's Parquet files are written (one folder a table)",
    )
    statistics_min_traders: int = Field(
        default=3,
        ge=1,
        description="a statistics cell with fewer distinct traders than this is confidential",
    )
    statistics_target_hours: float = Field(
        default=24,
        gt=0,
        description="the Time Release Study's target: share of goods released within this time",
    )
    statistics_export_seconds: float = Field(
        default=60, gt=0, description="the event worker exports changed days this often"
    )
    metrics_token: str = Field(
        default="", description="bearer token for /metrics; unset, /metrics answers 404"
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="serve /metrics on this port only"
    )

    exchange_key_passphrase: str = Field(
        default="", description="passphrase of the partner gateway's private key files, if any"
    )
    exchange_clock_skew_seconds: float = Field(
        default=300,
        gt=0,
        description="a partner's message created further than this from our clock is refused",
    )
    exchange_batch_size: int = Field(
        default=100, ge=1, le=500, description="partner messages sent per HTTP request at most"
    )
    exchange_retry_seconds: float = Field(
        default=2, gt=0, description="first wait before a failed partner delivery is retried"
    )
    exchange_max_attempts: int = Field(
        default=20, ge=1, description="a partner message still unacknowledged after this fails"
    )
    exchange_timeout_seconds: float = Field(
        default=30, gt=0, description="how long a partner's gateway has to answer"
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must start with sqlite: or postgresql")
        return value

    @field_validator("secret_key", "audit_key")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters long")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known IANA time zone such as Asia/Taipei") from exc
        return value

    def require_secret(self) -> str:
        """The secret key, or a :class:`ConfigError` saying how to set one."""
        if not self.secret_key:
            raise ConfigError(
                "ONEWINDOW_SECRET_KEY is not set: give it a random value of at least 32 "
                "characters (make run writes one to var/onewindow.env)."
            )
        return self.secret_key


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise :class:`ConfigError` with one sentence when one is wrong."""
    try:
        return Settings(_env_file=_settings_file(), **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "ONEWINDOW_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name} {message}.") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
