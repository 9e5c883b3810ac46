"""Configuration: read from the environment once, validated, immutable.

A bad value raises ConfigError naming the variable, so the process can stop
with one clear line instead of failing later in a request.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Used only by the embedded default (no DATABASE_URL), so that `scripts/run`
#: works out of the box; production deployments must set their own secret.
DEV_JWT_SECRET = "procura-embedded-development-secret-not-for-production"
MIN_SECRET_BYTES = 32


class ConfigError(ValueError):
    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """Everything Procura reads from its environment."""

    database_url: str | None = None
    sqlite_path: Path = Path("var/procura.sqlite3")
    in_memory: bool = False
    jwt_secret: str = DEV_JWT_SECRET
    suppliers: tuple[str, ...] = ("acme",)
    idempotency_ttl_hours: int = 24
    db_timeout_seconds: int = 3
    db_pool_size: int = 5
    db_max_overflow: int = 10
    snapshot_interval: int = 100
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_embedded(self) -> bool:
        return self.database_url is None

    @property
    def creates_tables(self) -> bool:
        return self.extra_env.get("CREATE_TABLE", "yes") != "no"

    def without_table_creation(self) -> Settings:
        """Settings for processes that must not create tables (web workers)."""
        return dataclasses.replace(self, extra_env={**self.extra_env, "CREATE_TABLE": "no"})

    def persistence_env(self) -> dict[str, str]:
        """The eventsourcing environment for the selected persistence mode."""
        env = {"MAPPER_TOPIC": "app.metadata:MetadataMapper"}
        if self.in_memory:
            env["PERSISTENCE_MODULE"] = "app.persistence.memory:ProcuraPOPOFactory"
        elif self.database_url:
            env["PERSISTENCE_MODULE"] = "app.persistence.postgres:ProcuraPostgresFactory"
            env.update(postgres_env_from_url(self.database_url))
            env.update(
                POSTGRES_CONNECT_TIMEOUT=str(self.db_timeout_seconds),
                POSTGRES_LOCK_TIMEOUT=str(self.db_timeout_seconds),
                POSTGRES_POOL_SIZE=str(self.db_pool_size),
                POSTGRES_MAX_OVERFLOW=str(self.db_max_overflow),
                POSTGRES_PRE_PING="yes",
            )
        else:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            env["PERSISTENCE_MODULE"] = "app.persistence.sqlite:ProcuraSQLiteFactory"
            env["SQLITE_DBNAME"] = str(self.sqlite_path)
            env["SQLITE_LOCK_TIMEOUT"] = str(self.db_timeout_seconds)
        env.update(self.extra_env)
        return env


def postgres_env_from_url(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
    }


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def _database_url(env: Mapping[str, str]) -> str | None:
    url = env.get("DATABASE_URL") or None
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        raise ConfigError("DATABASE_URL", "expected postgresql://user@host:port/dbname")
    try:
        _ = parts.port  # urlsplit raises ValueError only when the port is read
    except ValueError:
        raise ConfigError("DATABASE_URL", "the port is not a number") from None
    return url


def _jwt_secret(env: Mapping[str, str], embedded: bool) -> str:
    secret = env.get("PROCURA_JWT_SECRET") or ""
    if not secret and embedded:
        return DEV_JWT_SECRET
    if not secret:
        raise ConfigError("PROCURA_JWT_SECRET", "required when DATABASE_URL is set")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError("PROCURA_JWT_SECRET", f"must be at least {MIN_SECRET_BYTES} bytes")
    return secret


def _suppliers(env: Mapping[str, str]) -> tuple[str, ...]:
    names = tuple(s.strip() for s in (env.get("PROCURA_SUPPLIERS") or "acme").split(",") if s.strip())
    if not names:
        raise ConfigError("PROCURA_SUPPLIERS", "name at least one supplier")
    return names


def _snapshot_interval(env: Mapping[str, str]) -> int:
    """Events between snapshots of a PO; 0 turns snapshots off."""
    if env.get("PROCURA_SNAPSHOT_INTERVAL") == "0":
        return 0
    return _int(env, "PROCURA_SNAPSHOT_INTERVAL", 100, 2)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the configuration (default: the process environment)."""
    env = os.environ if env is None else env
    database_url = _database_url(env)
    return Settings(
        database_url=database_url,
        sqlite_path=Path(env.get("PROCURA_SQLITE_PATH") or "var/procura.sqlite3"),
        jwt_secret=_jwt_secret(env, embedded=database_url is None),
        suppliers=_suppliers(env),
        idempotency_ttl_hours=_int(env, "PROCURA_IDEMPOTENCY_TTL_HOURS", 24, 24),
        db_timeout_seconds=_int(env, "PROCURA_DB_TIMEOUT", 3, 1),
        db_pool_size=_int(env, "PROCURA_DB_POOL_SIZE", 5, 1),
        db_max_overflow=_int(env, "PROCURA_DB_MAX_OVERFLOW", 10, 0),
        snapshot_interval=_snapshot_interval(env),
    )
