"""Configuration: read from the environment once, validated, immutable.

A bad value raises ConfigError naming the variable, so the process can stop
with one clear line instead of failing later in a request.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Used only by the embedded default (no DATABASE_URL), so that `scripts/run`
#: works out of the box; production deployments must set their own secret.
DEV_JWT_SECRET = "procura-embedded-development-secret-not-for-production"
MIN_SECRET_BYTES = 32
#: The embedded default's partner (`scripts/run` starts `procura fake-supplier`
#: with these); deployments with DATABASE_URL must configure their own.
DEV_SUPPLIER_URL = "http://127.0.0.1:8100"
DEV_SUPPLIER_API_KEY = "acme-embedded-development-key"
#: Per caller: far above what a person or a well-behaved client sends, low
#: enough that one client cannot take a server's whole capacity.
DEFAULT_COMMANDS_LIMIT = "1200/minute"
DEFAULT_READS_LIMIT = "6000/minute"
DEV_WEBHOOK_SECRET = "whsec_cHJvY3VyYS1lbWJlZGRlZC13ZWJob29rLWRldi1rZXk="


@dataclass(frozen=True)
class PlacementTuning:
    """How the placement process treats slow and failing suppliers (seconds)."""

    call_timeout: float = 5.0
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    circuit_threshold: int = 5
    circuit_cooldown: float = 30.0
    lease: float = 30.0
    deadline: float = 900.0
    queued_recheck: float = 60.0
    threads: int = 4


#: The default retry schedule of webhook deliveries: the wait before each
#: attempt (the first at once); after the last attempt fails it is given up.
WEBHOOK_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


@dataclass(frozen=True)
class WebhookTuning:
    """How the worker delivers webhooks to integrators' endpoints (seconds)."""

    #: Hosts (names or addresses) exempt from the address rules and from https.
    allow_hosts: frozenset[str] = frozenset()
    timeout: float = 10.0
    schedule: tuple[float, ...] = WEBHOOK_SCHEDULE
    #: An endpoint failing every attempt for this long is disabled.
    disable_after: float = 3 * 24 * 3600.0
    threads: int = 8
    #: Requests to one endpoint one worker process sends at once.
    per_endpoint: int = 2


@dataclass(frozen=True)
class Edge:
    """How `procura serve` meets clients: HAProxy in front of granian
    (`haproxy`), or gunicorn alone behind a proxy of your own (`none`)."""

    proxy: str = "haproxy"
    request_timeout_seconds: int = 10  # for a request's headers, then as long for its body
    max_in_flight: int = 6  # requests a server process runs at once
    queue_wait_ms: int = 10  # past this wait for a free slot: 503 overloaded
    max_connections: int = 4096  # client connections held open at once
    #: Requests one bearer token may have in flight at the edge at once; None:
    #: a quarter of the admitted slots (per_caller_bound), 0: no bound ("off").
    max_in_flight_per_caller: int | None = None
    #: Requests one bearer token may send per second at the edge (0: no bound).
    max_requests_per_second_per_caller: int = 100
    #: 401 answers one client address may get per 10 s before the edge slows
    #: it down (0: no bound).
    max_failed_auth_per_address: int = 50
    #: After SIGTERM: seconds /readyz answers 503 while everything is still
    #: served, then how long requests in flight may take to finish.
    drain_seconds: int = 5
    shutdown_timeout_seconds: int = 30

    def per_caller_bound(self, admitted: int) -> int | None:
        """The requests one caller may have in flight when `admitted` run at
        once, or None when unbounded: by default a quarter of them, so one
        token shares a process's interpreter with others' requests at most
        about one to one (docs/operators/serving.md)."""
        if self.max_in_flight_per_caller is None:
            return max(1, admitted // 4)
        return self.max_in_flight_per_caller or None


#: Signature algorithms an identity provider's keys may use; HMAC is not among
#: them, since anyone holding the provider's public key could forge HS256 tokens.
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                   "ES256", "ES384", "ES512", "EdDSA"})


@dataclass(frozen=True)
class EventBus:
    """Where the worker publishes the public events (NATS JetStream), and the
    stream it creates there when missing (docs/integrators/event-bus.md)."""

    servers: tuple[str, ...]
    stream: str = "PROCURA_EVENTS"
    max_age_hours: int = 7 * 24
    duplicate_window_seconds: int = 120
    #: How long one publish may wait for JetStream's acknowledgement.
    ack_timeout_seconds: float = 5.0


@dataclass(frozen=True)
class ClaimPaths:
    """Where each part of the caller sits in a token's claims: a top-level
    claim of that exact name, or else a dotted path into nested objects."""

    roles: str = "roles"
    org: str = "org"
    department: str = "department"
    approval_limit: str = "approval_limit"


@dataclass(frozen=True)
class IdentityProvider:
    """How tokens are verified: with the shared HS256 secret (no `jwks_url`
    nor `oidc_issuer`), or with an identity provider's published keys."""

    jwks_url: str | None = None
    oidc_issuer: str | None = None
    issuer: str | None = None
    audience: str | None = None
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway_seconds: int = 0
    refresh_interval_seconds: int = 30  # at least this long between key set fetches
    claims: ClaimPaths = field(default_factory=ClaimPaths)
    role_map: Mapping[str, str] = field(default_factory=dict)

    @property
    def uses_keys(self) -> bool:
        return bool(self.jwks_url or self.oidc_issuer)


@dataclass(frozen=True)
class ConsoleSignIn:
    """The console registered at the identity provider (docs/operators/console-sign-in.md):
    people sign in with the authorization-code flow and PKCE, and their session
    is a signed cookie."""

    client_id: str
    #: None for a public client (PKCE alone).
    client_secret: str | None = field(repr=False)
    #: Where people reach Procura; the redirect URI is its /console/oidc/callback.
    public_url: str
    #: Signs the session cookie; every server process must share it.
    session_secret: str = field(repr=False)
    scopes: str = "openid"

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/console/oidc/callback"


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
    log_level: str = "info"
    #: Seconds a processor may stay behind the store without moving before
    #: /readyz calls it stale (no worker is running it).
    read_model_stale_seconds: int = 60
    #: Seconds a processor of `procura worker` may go without completing a
    #: pass before the worker's /healthz answers 503.
    worker_failing_seconds: int = 60
    jwt_max_lifetime_seconds: int = 24 * 3600
    identity: IdentityProvider = field(default_factory=IdentityProvider)
    suppliers: tuple[str, ...] = ("acme",)
    idempotency_ttl_hours: int = 24
    db_timeout_seconds: int = 3
    statement_timeout_seconds: int = 10
    db_pool_size: int = 5
    db_max_overflow: int = 10
    db_pooler: str = "none"  # "transaction": a transaction-pooling PgBouncer sits in front of PostgreSQL
    #: Streaming replicas of DATABASE_URL the read models may be read from.
    read_database_urls: tuple[str, ...] = ()
    replica_max_lag_seconds: int = 5
    snapshot_interval: int = 100
    #: How long the projection worker gathers events arriving one by one under load (0: never).
    projection_gather_ms: int = 15
    supplier_url: str = DEV_SUPPLIER_URL
    supplier_api_key: str = ""
    webhook_secrets: Mapping[str, str] = field(default_factory=dict)
    placement: PlacementTuning = field(default_factory=PlacementTuning)
    webhooks: WebhookTuning = field(default_factory=WebhookTuning)
    rate_limit_commands: str | None = None
    rate_limit_reads: str | None = None
    rate_limit_storage: str = "memory://"
    #: Expensive reads (traces, timelines, histories, reports, waits for
    #: `min_position`) one caller may run at once in one server process.
    expensive_reads_per_caller: int = 2
    auto_migrate: bool = True
    migrate_wait_seconds: int = 120
    edge: Edge = field(default_factory=Edge)
    #: The NATS JetStream sink of the public events; None: no sink.
    event_bus: EventBus | None = None
    #: People sign into the console at the identity provider; None: they paste a token.
    console_sign_in: ConsoleSignIn | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_embedded(self) -> bool:
        return self.database_url is None

    def persistence_env(self) -> dict[str, str]:
        """The eventsourcing environment for the selected persistence mode."""
        # Tables come from the schema steps (app.schema), never from the library.
        env = {"MAPPER_TOPIC": "app.service.metadata:MetadataMapper", "CREATE_TABLE": "no"}
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
                PROCURA_STATEMENT_TIMEOUT_MS=str(self.statement_timeout_seconds * 1000),
                PROCURA_DB_POOLER=self.db_pooler,
            )
        else:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            env["PERSISTENCE_MODULE"] = "app.persistence.sqlite:ProcuraSQLiteFactory"
            env["SQLITE_DBNAME"] = str(self.sqlite_path)
            env["SQLITE_LOCK_TIMEOUT"] = str(self.db_timeout_seconds)
        env.update(self.extra_env)
        return env


#: libpq's TCP settings for every connection to PostgreSQL or PgBouncer: a
#: peer that stops acknowledging (its host lost power or its network) is given
#: up after about 10 s, where TCP alone takes minutes, or forever for a
#: connection waiting on an answer.
PEER_TIMEOUTS = {"tcp_user_timeout": 3000, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                 "keepalives_count": 2}


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


def _postgres_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        raise ConfigError(name, "expected postgresql://user@host:port/dbname")
    try:
        _ = parts.port  # urlsplit raises ValueError only when the port is read
    except ValueError:
        raise ConfigError(name, "the port is not a number") from None
    return url


POOLERS = ("none", "transaction")


def _db_pooler(env: Mapping[str, str], database_url: str | None) -> str:
    """What sits between Procura and PostgreSQL: nothing, or a pooler that
    hands out server connections per transaction (PgBouncer's transaction mode)."""
    raw = (env.get("PROCURA_DB_POOLER") or "none").strip().lower()
    if raw not in POOLERS:
        raise ConfigError("PROCURA_DB_POOLER", f"expected none or transaction, got {raw!r}")
    if raw != "none" and database_url is None:
        raise ConfigError("PROCURA_DB_POOLER", "a pooler needs DATABASE_URL (the embedded default has none)")
    return raw


def _database_url(env: Mapping[str, str]) -> str | None:
    url = env.get("DATABASE_URL") or None
    return None if url is None else _postgres_url("DATABASE_URL", url)


def _read_database_urls(env: Mapping[str, str], database_url: str | None) -> tuple[str, ...]:
    """Comma-separated streaming replicas of DATABASE_URL (PostgreSQL only)."""
    name = "PROCURA_READ_DATABASE_URL"
    urls = tuple(_postgres_url(name, u.strip()) for u in (env.get(name) or "").split(",") if u.strip())
    if urls and database_url is None:
        raise ConfigError(name, "needs DATABASE_URL: replicas are PostgreSQL streaming replicas of it")
    if len(set(urls)) != len(urls):
        raise ConfigError(name, "names one replica twice")
    return urls


def _jwt_secret(env: Mapping[str, str], embedded: bool, identity: IdentityProvider) -> str:
    secret = env.get("PROCURA_JWT_SECRET") or ""
    # With an identity provider the secret verifies nothing (HS256 is refused).
    if not secret and (embedded or identity.uses_keys):
        return DEV_JWT_SECRET
    if not secret:
        raise ConfigError("PROCURA_JWT_SECRET", "required when DATABASE_URL is set")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError("PROCURA_JWT_SECRET", f"must be at least {MIN_SECRET_BYTES} bytes")
    return secret


def _http_url(env: Mapping[str, str], name: str) -> str | None:
    url = (env.get(name) or "").strip() or None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(name, "expected an http(s):// URL")
    return url


def _algorithms(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("PROCURA_JWT_ALGORITHMS") or ",".join(IdentityProvider().algorithms)
    names = tuple(a.strip() for a in raw.split(",") if a.strip())
    if not names:
        raise ConfigError("PROCURA_JWT_ALGORITHMS", "name at least one algorithm")
    for name in names:
        if name.upper().startswith("HS"):
            raise ConfigError("PROCURA_JWT_ALGORITHMS", f"{name} is refused with an identity provider's keys")
        if name not in ASYMMETRIC_ALGORITHMS:
            raise ConfigError("PROCURA_JWT_ALGORITHMS", f"unknown algorithm {name!r}; "
                              f"expected some of {', '.join(sorted(ASYMMETRIC_ALGORITHMS))}")
    return names


def _claim_path(env: Mapping[str, str], name: str, default: str) -> str:
    return (env.get(name) or "").strip() or default


def _claim_paths(env: Mapping[str, str]) -> ClaimPaths:
    d = ClaimPaths()
    return ClaimPaths(roles=_claim_path(env, "PROCURA_CLAIM_ROLES", d.roles),
                      org=_claim_path(env, "PROCURA_CLAIM_ORG", d.org),
                      department=_claim_path(env, "PROCURA_CLAIM_DEPARTMENT", d.department),
                      approval_limit=_claim_path(env, "PROCURA_CLAIM_APPROVAL_LIMIT", d.approval_limit))


def _role_map(env: Mapping[str, str]) -> dict[str, str]:
    """`po-approver=approver,po-buyer=buyer`: provider role -> Procura role."""
    from aggregates.policy import ROLES

    mapping = {}
    for item in (i.strip() for i in (env.get("PROCURA_ROLE_MAP") or "").split(",") if i.strip()):
        theirs, _, ours = (part.strip() for part in item.partition("="))
        if not theirs or ours not in ROLES:
            raise ConfigError("PROCURA_ROLE_MAP", f"expected provider-role=procura-role, comma-separated, "
                              f"with Procura roles among {', '.join(sorted(ROLES))}; got {item!r}")
        mapping[theirs] = ours
    return mapping


def _identity(env: Mapping[str, str]) -> IdentityProvider:
    jwks_url = _http_url(env, "PROCURA_JWT_JWKS_URL")
    oidc_issuer = _http_url(env, "PROCURA_OIDC_ISSUER")
    if jwks_url and oidc_issuer:
        raise ConfigError("PROCURA_OIDC_ISSUER", "set either it or PROCURA_JWT_JWKS_URL, not both")
    # The discovery document's issuer is the tokens' issuer, so it need not be said twice.
    issuer = (env.get("PROCURA_JWT_ISSUER") or "").strip() or oidc_issuer
    audience = (env.get("PROCURA_JWT_AUDIENCE") or "").strip() or None
    uses_keys = bool(jwks_url or oidc_issuer)
    if uses_keys and not issuer:
        raise ConfigError("PROCURA_JWT_ISSUER", "required with PROCURA_JWT_JWKS_URL")
    if uses_keys and not audience:
        raise ConfigError("PROCURA_JWT_AUDIENCE", "required with an identity provider's keys")
    d = IdentityProvider()
    return IdentityProvider(
        jwks_url=jwks_url, oidc_issuer=oidc_issuer, issuer=issuer, audience=audience,
        algorithms=_algorithms(env) if uses_keys else d.algorithms,
        leeway_seconds=_int(env, "PROCURA_JWT_LEEWAY_SECONDS", d.leeway_seconds, 0),
        refresh_interval_seconds=_int(env, "PROCURA_JWKS_REFRESH_INTERVAL", d.refresh_interval_seconds, 0),
        claims=_claim_paths(env), role_map=_role_map(env),
    )


#: Hosts a browser treats as secure over plain http, where a Secure cookie still works.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _console_sign_in(env: Mapping[str, str], identity: IdentityProvider) -> ConsoleSignIn | None:
    client_id = (env.get("PROCURA_CONSOLE_CLIENT_ID") or "").strip()
    if not client_id:
        return None
    if not identity.oidc_issuer:
        raise ConfigError("PROCURA_CONSOLE_CLIENT_ID", "needs PROCURA_OIDC_ISSUER (the provider's discovery "
                                                       "document names its sign-in endpoints)")
    public_url = _http_url(env, "PROCURA_PUBLIC_URL")
    if not public_url:
        raise ConfigError("PROCURA_PUBLIC_URL", "required with PROCURA_CONSOLE_CLIENT_ID")
    parts = urlsplit(public_url)
    if parts.scheme != "https" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ConfigError("PROCURA_PUBLIC_URL", "must be https:// (the session cookie is Secure), "
                                                "except on localhost")
    secret = env.get("PROCURA_CONSOLE_SESSION_SECRET") or ""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError("PROCURA_CONSOLE_SESSION_SECRET", f"required with PROCURA_CONSOLE_CLIENT_ID, "
                                                            f"at least {MIN_SECRET_BYTES} bytes")
    scopes = " ".join((env.get("PROCURA_CONSOLE_SCOPES") or "openid").split())
    if "openid" not in scopes.split():
        raise ConfigError("PROCURA_CONSOLE_SCOPES", "must include openid")
    return ConsoleSignIn(client_id=client_id, client_secret=env.get("PROCURA_CONSOLE_CLIENT_SECRET") or None,
                         public_url=public_url.rstrip("/"), session_secret=secret, scopes=scopes)


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


def _supplier_url(env: Mapping[str, str]) -> str:
    url = env.get("PROCURA_SUPPLIER_URL") or DEV_SUPPLIER_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("PROCURA_SUPPLIER_URL", "expected an http(s):// URL")
    return url


def _webhook_secrets(env: Mapping[str, str], embedded: bool) -> dict[str, str]:
    """`acme=whsec_...,other=whsec_...`; the embedded default knows Acme's dev secret."""
    raw = env.get("PROCURA_WEBHOOK_SECRETS") or ""
    if not raw.strip():
        return {"acme": DEV_WEBHOOK_SECRET} if embedded else {}
    secrets = {}
    for item in (i.strip() for i in raw.split(",") if i.strip()):
        supplier, _, secret = item.partition("=")
        if not supplier.strip() or not _is_webhook_secret(secret.strip()):
            raise ConfigError("PROCURA_WEBHOOK_SECRETS", "expected supplier=whsec_<base64>, comma-separated")
        secrets[supplier.strip()] = secret.strip()
    return secrets


def _is_webhook_secret(secret: str) -> bool:
    if not secret.startswith("whsec_"):
        return False
    try:
        return len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 16
    except (binascii.Error, ValueError):
        return False


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str | None:
    """A limit such as "1200/minute" or "20 per second"; "off" for none."""
    raw = (env.get(name) or default).strip()
    if raw.lower() == "off":
        return None
    from limits import parse

    try:
        parse(raw)
    except ValueError:
        raise ConfigError(name, f'expected a limit such as "1200/minute", or "off"; got {raw!r}') from None
    return raw


def _rate_limit_storage(env: Mapping[str, str]) -> str:
    raw = (env.get("PROCURA_RATE_LIMIT_STORAGE") or "memory://").strip()
    if not raw.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError("PROCURA_RATE_LIMIT_STORAGE", "expected memory:// or redis://host:port/db")
    return raw


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("true", "1", "yes", "on"):
        return True
    if raw in ("false", "0", "no", "off"):
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}")


def _edge(env: Mapping[str, str]) -> Edge:
    proxy = (env.get("PROCURA_EDGE") or "haproxy").strip().lower()
    if proxy not in ("haproxy", "none"):
        raise ConfigError("PROCURA_EDGE", f"expected haproxy or none, got {proxy!r}")
    d = Edge()
    return Edge(proxy=proxy,
                request_timeout_seconds=_int(env, "PROCURA_REQUEST_TIMEOUT", d.request_timeout_seconds, 1),
                max_in_flight=_int(env, "PROCURA_MAX_IN_FLIGHT", d.max_in_flight, 1),
                queue_wait_ms=_int(env, "PROCURA_QUEUE_WAIT_MS", d.queue_wait_ms, 1),
                max_connections=_int(env, "PROCURA_MAX_CONNECTIONS", d.max_connections, 64),
                max_in_flight_per_caller=_per_caller(env),
                max_requests_per_second_per_caller=_bound(env, "PROCURA_MAX_REQUESTS_PER_SECOND_PER_CALLER",
                                                          d.max_requests_per_second_per_caller),
                max_failed_auth_per_address=_bound(env, "PROCURA_MAX_FAILED_AUTH_PER_ADDRESS",
                                                   d.max_failed_auth_per_address),
                drain_seconds=_int(env, "PROCURA_DRAIN_SECONDS", d.drain_seconds, 0),
                shutdown_timeout_seconds=_int(env, "PROCURA_SHUTDOWN_TIMEOUT", d.shutdown_timeout_seconds, 1))


def _bound(env: Mapping[str, str], name: str, default: int) -> int:
    """A count of at least 1, or "off" (0)."""
    if (env.get(name) or "").strip().lower() == "off":
        return 0
    return _int(env, name, default, 1)


def _per_caller(env: Mapping[str, str]) -> int | None:
    """PROCURA_MAX_IN_FLIGHT_PER_CALLER: a count of at least 1, "off" (0), or unset (None: the default)."""
    name = "PROCURA_MAX_IN_FLIGHT_PER_CALLER"
    raw = (env.get(name) or "").strip()
    if raw.lower() == "off":
        return 0
    if raw and not raw.isdigit():
        raise ConfigError(name, f'expected a number of requests, or "off"; got {raw!r}')
    return _int(env, name, 0, 1) if raw else None


_STREAM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _event_bus(env: Mapping[str, str]) -> EventBus | None:
    """PROCURA_EVENT_BUS_URL: one or more comma-separated nats:// (or tls://)
    URLs of one NATS cluster; unset: no sink."""
    name = "PROCURA_EVENT_BUS_URL"
    servers = tuple(u.strip() for u in (env.get(name) or "").split(",") if u.strip())
    if not servers:
        return None
    for url in servers:
        parts = urlsplit(url)
        try:
            _ = parts.port  # urlsplit raises ValueError only when the port is read
        except ValueError:
            raise ConfigError(name, f"the port of {url!r} is not a number") from None
        if parts.scheme not in ("nats", "tls") or not parts.hostname:
            raise ConfigError(name, f"expected nats://host:port, comma-separated; got {url!r}")
    stream = (env.get("PROCURA_EVENT_BUS_STREAM") or EventBus.stream).strip()
    if not _STREAM_NAME.match(stream):
        raise ConfigError("PROCURA_EVENT_BUS_STREAM", "expected 1 to 64 letters, digits, '-' or '_'")
    bus = EventBus(servers=servers, stream=stream,
                   max_age_hours=_int(env, "PROCURA_EVENT_BUS_MAX_AGE_HOURS", EventBus.max_age_hours, 1),
                   duplicate_window_seconds=_int(env, "PROCURA_EVENT_BUS_DUPLICATE_WINDOW_SECONDS",
                                                 EventBus.duplicate_window_seconds, 1))
    if bus.duplicate_window_seconds > bus.max_age_hours * 3600:
        raise ConfigError("PROCURA_EVENT_BUS_DUPLICATE_WINDOW_SECONDS", "must not exceed the stream's max age")
    return bus


def _seconds(env: Mapping[str, str], name: str, default: float, minimum_ms: int = 1) -> float:
    return _int(env, name, int(default * 1000), minimum_ms) / 1000


def _placement(env: Mapping[str, str]) -> PlacementTuning:
    d = PlacementTuning()
    return PlacementTuning(
        call_timeout=_seconds(env, "PROCURA_SUPPLIER_TIMEOUT_MS", d.call_timeout, 50),
        max_attempts=_int(env, "PROCURA_PLACEMENT_MAX_ATTEMPTS", d.max_attempts, 1),
        backoff_base=_seconds(env, "PROCURA_PLACEMENT_BACKOFF_MS", d.backoff_base),
        backoff_cap=_seconds(env, "PROCURA_PLACEMENT_BACKOFF_CAP_MS", d.backoff_cap),
        circuit_threshold=_int(env, "PROCURA_CIRCUIT_THRESHOLD", d.circuit_threshold, 1),
        circuit_cooldown=_seconds(env, "PROCURA_CIRCUIT_COOLDOWN_MS", d.circuit_cooldown),
        lease=float(_int(env, "PROCURA_PLACEMENT_LEASE_SECONDS", int(d.lease), 1)),
        deadline=float(_int(env, "PROCURA_PLACEMENT_DEADLINE_SECONDS", int(d.deadline), 1)),
        queued_recheck=float(_int(env, "PROCURA_PLACEMENT_QUEUED_RECHECK_SECONDS", int(d.queued_recheck), 1)),
        threads=_int(env, "PROCURA_PLACEMENT_THREADS", d.threads, 1),
    )


_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _duration(name: str, text: str) -> float:
    """`10`, `5s`, `5m`, `2h`, `3d` or `250ms` as seconds."""
    text = text.strip().lower()
    for unit in ("ms", "s", "m", "h", "d"):
        if text.endswith(unit):
            number, scale = text[:-len(unit)], _DURATION_UNITS[unit]
            break
    else:
        number, scale = text, 1.0
    try:
        value = float(number) * scale
    except ValueError:
        raise ConfigError(name, f"expected a duration such as 30s, 5m, 2h or 3d, got {text!r}") from None
    if not 0 <= value < 10 * 365 * 86400:
        raise ConfigError(name, f"expected a duration of zero or more, got {text!r}")
    return value


def _webhooks(env: Mapping[str, str]) -> WebhookTuning:
    d = WebhookTuning()
    hosts = frozenset(h.strip().lower().strip("[]") for h in (env.get("PROCURA_WEBHOOK_ALLOW_HOSTS") or "").split(",")
                      if h.strip())
    raw_schedule = (env.get("PROCURA_WEBHOOK_RETRY_SCHEDULE") or "").strip()
    schedule = d.schedule
    if raw_schedule:
        schedule = tuple(_duration("PROCURA_WEBHOOK_RETRY_SCHEDULE", part) for part in raw_schedule.split(","))
    raw_disable = (env.get("PROCURA_WEBHOOK_DISABLE_AFTER") or "").strip()
    disable_after = _duration("PROCURA_WEBHOOK_DISABLE_AFTER", raw_disable) if raw_disable else d.disable_after
    return WebhookTuning(allow_hosts=hosts, timeout=_seconds(env, "PROCURA_WEBHOOK_TIMEOUT_MS", d.timeout, 50),
                         schedule=schedule, disable_after=disable_after,
                         threads=_int(env, "PROCURA_WEBHOOK_THREADS", d.threads, 1),
                         per_endpoint=_int(env, "PROCURA_WEBHOOK_CONCURRENCY_PER_ENDPOINT", d.per_endpoint, 1))


#: Settings that hold secrets: each may instead name a file holding it, as
#: NAME_FILE (a container's mounted secret, a systemd credential).
SECRET_SETTINGS = ("DATABASE_URL", "PROCURA_READ_DATABASE_URL", "PROCURA_JWT_SECRET", "PROCURA_SUPPLIER_API_KEY",
                   "PROCURA_WEBHOOK_SECRETS", "PROCURA_EVENT_BUS_URL", "PROCURA_CONSOLE_CLIENT_SECRET",
                   "PROCURA_CONSOLE_SESSION_SECRET")
LOG_LEVELS = ("debug", "info", "warning", "error")


def with_secret_files(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with each secret named by its NAME_FILE read from that file
    (one trailing newline dropped, as editors and `echo` leave one)."""
    resolved = dict(env)
    for name in SECRET_SETTINGS:
        path = (env.get(f"{name}_FILE") or "").strip()
        if not path:
            continue
        if env.get(name):
            raise ConfigError(f"{name}_FILE", f"set either it or {name}, not both")
        try:
            text = Path(path).read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{name}_FILE", f"cannot read {path}: {getattr(error, 'strerror', None) or error}") \
                from None
        resolved[name] = text.removesuffix("\n").removesuffix("\r")
    return resolved


def _log_level(env: Mapping[str, str]) -> str:
    level = (env.get("PROCURA_LOG_LEVEL") or "info").strip().lower()
    if level not in LOG_LEVELS:
        raise ConfigError("PROCURA_LOG_LEVEL", f"expected one of {', '.join(LOG_LEVELS)}, got {level!r}")
    return level


def load_settings(env: Mapping[str, str] | None = None, *, needs_token_secret: bool = True) -> Settings:
    """Read and validate the configuration (default: the process environment).
    `needs_token_secret=False` for a process that verifies no token
    (`procura migrate`): PROCURA_JWT_SECRET is then not required."""
    env = with_secret_files(os.environ if env is None else env)
    database_url = _database_url(env)
    identity = _identity(env)
    secret_needed = needs_token_secret or bool(env.get("PROCURA_JWT_SECRET"))
    return Settings(
        database_url=database_url,
        sqlite_path=Path(env.get("PROCURA_SQLITE_PATH") or "var/procura.sqlite3"),
        jwt_secret=_jwt_secret(env, embedded=database_url is None, identity=identity) if secret_needed else "",
        log_level=_log_level(env),
        read_model_stale_seconds=_int(env, "PROCURA_READ_MODEL_STALE_SECONDS", Settings.read_model_stale_seconds, 1),
        worker_failing_seconds=_int(env, "PROCURA_WORKER_FAILING_SECONDS", Settings.worker_failing_seconds, 1),
        jwt_max_lifetime_seconds=_int(env, "PROCURA_JWT_MAX_LIFETIME", 24 * 3600, 60),
        identity=identity,
        suppliers=_suppliers(env),
        idempotency_ttl_hours=_int(env, "PROCURA_IDEMPOTENCY_TTL_HOURS", 24, 24),
        db_timeout_seconds=_int(env, "PROCURA_DB_TIMEOUT", 3, 1),
        statement_timeout_seconds=_int(env, "PROCURA_STATEMENT_TIMEOUT", 10, 1),
        db_pool_size=_int(env, "PROCURA_DB_POOL_SIZE", 5, 1),
        db_max_overflow=_int(env, "PROCURA_DB_MAX_OVERFLOW", 10, 0),
        db_pooler=_db_pooler(env, database_url),
        read_database_urls=_read_database_urls(env, database_url),
        replica_max_lag_seconds=_int(env, "PROCURA_REPLICA_MAX_LAG_SECONDS", Settings.replica_max_lag_seconds, 1),
        snapshot_interval=_snapshot_interval(env),
        projection_gather_ms=_int(env, "PROCURA_PROJECTION_GATHER_MS", Settings.projection_gather_ms, 0),
        supplier_url=_supplier_url(env),
        supplier_api_key=env.get("PROCURA_SUPPLIER_API_KEY") or (DEV_SUPPLIER_API_KEY if database_url is None else ""),
        webhook_secrets=_webhook_secrets(env, embedded=database_url is None),
        placement=_placement(env),
        webhooks=_webhooks(env),
        rate_limit_commands=_rate_limit(env, "PROCURA_RATE_LIMIT_COMMANDS", DEFAULT_COMMANDS_LIMIT),
        rate_limit_reads=_rate_limit(env, "PROCURA_RATE_LIMIT_READS", DEFAULT_READS_LIMIT),
        rate_limit_storage=_rate_limit_storage(env),
        expensive_reads_per_caller=_int(env, "PROCURA_EXPENSIVE_READS_PER_CALLER",
                                        Settings.expensive_reads_per_caller, 1),
        auto_migrate=_flag(env, "PROCURA_AUTO_MIGRATE", True),
        migrate_wait_seconds=_int(env, "PROCURA_MIGRATE_WAIT_SECONDS", 120, 1),
        edge=_edge(env),
        event_bus=_event_bus(env),
        console_sign_in=_console_sign_in(env, identity),
    )
