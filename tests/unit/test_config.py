"""Configuration is validated once, and a bad value names its variable."""

from __future__ import annotations

import pytest

from app.config import DEV_JWT_SECRET, ConfigError, load_settings

PG = "postgresql://postgres@127.0.0.1:5432/procura"


def test_the_embedded_default_runs_without_any_configuration():
    settings = load_settings({})
    assert settings.is_embedded and settings.jwt_secret == DEV_JWT_SECRET


def test_with_a_database_url_a_jwt_secret_is_required():
    with pytest.raises(ConfigError) as refused:
        load_settings({"DATABASE_URL": PG})
    assert refused.value.variable == "PROCURA_JWT_SECRET"


def test_a_production_secret_shorter_than_32_bytes_is_refused():
    with pytest.raises(ConfigError, match="32 bytes"):
        load_settings({"DATABASE_URL": PG, "PROCURA_JWT_SECRET": "x" * 31})


@pytest.mark.parametrize(("variable", "value"), [
    ("DATABASE_URL", "mysql://x/y"), ("DATABASE_URL", "postgresql://host:notaport/db"),
    ("PROCURA_DB_TIMEOUT", "soon"), ("PROCURA_MIGRATE_WAIT_SECONDS", "0"),
    ("PROCURA_RATE_LIMIT_COMMANDS", "lots"), ("PROCURA_RATE_LIMIT_READS", "5/fortnight"),
    ("PROCURA_RATE_LIMIT_STORAGE", "memcached://x"), ("PROCURA_IDEMPOTENCY_TTL_HOURS", "1"), ("PROCURA_SUPPLIERS", " , "),
    ("PROCURA_DB_POOLER", "session"), ("PROCURA_EXPENSIVE_READS_PER_CALLER", "0"),
    ("PROCURA_EXPENSIVE_READS_PER_CALLER", "two"), ("PROCURA_MAX_IN_FLIGHT_PER_CALLER", "0"),
    ("PROCURA_MAX_IN_FLIGHT_PER_CALLER", "half"), ("PROCURA_MAX_IN_FLIGHT_PER_CALLER", "-1"),
    ("PROCURA_WEBHOOK_RETRY_SCHEDULE", "0,5s,soon"), ("PROCURA_WEBHOOK_RETRY_SCHEDULE", "0,-5s"),
    ("PROCURA_WEBHOOK_DISABLE_AFTER", "3 days"), ("PROCURA_WEBHOOK_TIMEOUT_MS", "10"),
    ("PROCURA_WEBHOOK_THREADS", "0"),
])
def test_a_bad_value_names_its_variable(variable, value):
    with pytest.raises(ConfigError) as refused:
        load_settings({"PROCURA_JWT_SECRET": "s" * 40, variable: value})
    assert refused.value.variable == variable


def test_a_database_url_becomes_the_event_store_settings():
    env = load_settings({"DATABASE_URL": "postgresql://u:p%40ss@db.internal:6543/orders",
                         "PROCURA_JWT_SECRET": "s" * 40}).persistence_env()
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == ("db.internal", "6543", "orders")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("u", "p@ss")


def test_a_transaction_pooler_is_named_to_the_event_store_and_is_off_by_default():
    settings = {"DATABASE_URL": PG, "PROCURA_JWT_SECRET": "s" * 40}
    assert load_settings(settings).persistence_env()["PROCURA_DB_POOLER"] == "none"
    pooled = load_settings({**settings, "PROCURA_DB_POOLER": "transaction"})
    assert pooled.persistence_env()["PROCURA_DB_POOLER"] == "transaction"


def test_a_pooler_without_a_database_url_is_refused():
    with pytest.raises(ConfigError, match="DATABASE_URL") as refused:
        load_settings({"PROCURA_DB_POOLER": "transaction"})
    assert refused.value.variable == "PROCURA_DB_POOLER"


def test_processes_migrate_at_start_unless_told_not_to():
    assert load_settings({}).auto_migrate is True
    assert load_settings({"PROCURA_AUTO_MIGRATE": "false"}).auto_migrate is False
    assert load_settings({"PROCURA_AUTO_MIGRATE": "TRUE"}).auto_migrate is True


def test_a_migration_flag_that_is_not_true_or_false_is_refused():
    with pytest.raises(ConfigError, match="PROCURA_AUTO_MIGRATE"):
        load_settings({"PROCURA_AUTO_MIGRATE": "sometimes"})


def test_rate_limits_are_on_by_default_and_can_be_turned_off():
    assert load_settings({}).rate_limit_commands == "1200/minute"
    assert load_settings({"PROCURA_RATE_LIMIT_COMMANDS": "off"}).rate_limit_commands is None
    assert load_settings({"PROCURA_RATE_LIMIT_READS": "20 per second"}).rate_limit_reads == "20 per second"


def test_read_replicas_are_a_comma_separated_list_of_postgresql_urls():
    replicas = "postgresql://postgres@10.0.0.2:5432/procura, postgresql://postgres@10.0.0.3:5432/procura,"
    settings = load_settings({"DATABASE_URL": PG, "PROCURA_JWT_SECRET": "s" * 40,
                              "PROCURA_READ_DATABASE_URL": replicas, "PROCURA_REPLICA_MAX_LAG_SECONDS": "2"})
    assert settings.read_database_urls == ("postgresql://postgres@10.0.0.2:5432/procura",
                                           "postgresql://postgres@10.0.0.3:5432/procura")
    assert settings.replica_max_lag_seconds == 2


@pytest.mark.parametrize(("variable", "value"), [
    ("PROCURA_READ_DATABASE_URL", "postgresql://postgres@10.0.0.2:5432/procura,redis://x/0"),
    ("PROCURA_READ_DATABASE_URL", "postgresql://postgres@10.0.0.2:port/procura"),
    ("PROCURA_READ_DATABASE_URL", "postgresql://postgres@10.0.0.2/procura,postgresql://postgres@10.0.0.2/procura"),
    ("PROCURA_REPLICA_MAX_LAG_SECONDS", "0"), ("PROCURA_REPLICA_MAX_LAG_SECONDS", "soon"),
])
def test_a_bad_replica_setting_names_its_variable(variable, value):
    with pytest.raises(ConfigError) as refused:
        load_settings({"DATABASE_URL": PG, "PROCURA_JWT_SECRET": "s" * 40, variable: value})
    assert refused.value.variable == variable


def test_read_replicas_need_a_postgresql_primary():
    with pytest.raises(ConfigError, match="needs DATABASE_URL") as refused:
        load_settings({"PROCURA_READ_DATABASE_URL": PG})
    assert refused.value.variable == "PROCURA_READ_DATABASE_URL"


def test_each_caller_may_run_two_expensive_reads_at_once_unless_configured():
    assert load_settings({}).expensive_reads_per_caller == 2
    assert load_settings({"PROCURA_EXPENSIVE_READS_PER_CALLER": "3"}).expensive_reads_per_caller == 3


def test_each_caller_may_have_a_quarter_of_the_admitted_slots_in_flight_unless_configured():
    assert [load_settings({}).edge.per_caller_bound(admitted) for admitted in (1, 4, 7, 12, 24)] == [1, 1, 1, 3, 6]
    assert load_settings({"PROCURA_MAX_IN_FLIGHT_PER_CALLER": "4"}).edge.per_caller_bound(12) == 4
    assert load_settings({"PROCURA_MAX_IN_FLIGHT_PER_CALLER": "off"}).edge.per_caller_bound(12) is None


def test_without_an_event_bus_url_nothing_is_published():
    assert load_settings({}).event_bus is None


def test_the_event_bus_is_one_or_more_nats_urls_with_the_streams_defaults():
    bus = load_settings({"PROCURA_EVENT_BUS_URL": "nats://10.0.0.5:4222, tls://nats.internal:4222"}).event_bus
    assert bus.servers == ("nats://10.0.0.5:4222", "tls://nats.internal:4222")
    assert (bus.stream, bus.max_age_hours, bus.duplicate_window_seconds) == ("PROCURA_EVENTS", 168, 120)


@pytest.mark.parametrize(("variable", "value"), [
    ("PROCURA_EVENT_BUS_URL", "http://nats:4222"), ("PROCURA_EVENT_BUS_URL", "nats://nats:port"),
    ("PROCURA_EVENT_BUS_STREAM", "procura.events"), ("PROCURA_EVENT_BUS_MAX_AGE_HOURS", "0"),
    ("PROCURA_EVENT_BUS_DUPLICATE_WINDOW_SECONDS", "7200"),
])
def test_a_bad_event_bus_setting_names_its_variable(variable, value):
    env = {"PROCURA_EVENT_BUS_URL": "nats://127.0.0.1:4222", "PROCURA_EVENT_BUS_MAX_AGE_HOURS": "1", variable: value}
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    assert refused.value.variable == variable


def test_the_webhook_schedule_and_disabling_are_read_as_durations():
    hooks = load_settings({"PROCURA_WEBHOOK_RETRY_SCHEDULE": "0, 5s, 5m,2h,1d, 250ms",
                           "PROCURA_WEBHOOK_DISABLE_AFTER": "36h",
                           "PROCURA_WEBHOOK_ALLOW_HOSTS": "Receiver.Test, [::1]"}).webhooks
    assert hooks.schedule == (0.0, 5.0, 300.0, 7200.0, 86400.0, 0.25)
    assert hooks.disable_after == 36 * 3600.0
    assert hooks.allow_hosts == {"receiver.test", "::1"}


PG = "postgresql://procura@db:5432/procura"


def test_a_secret_can_come_from_the_file_its_file_variable_names(tmp_path):
    secret = tmp_path / "jwt"
    secret.write_text("a-secret-from-a-mounted-file-0123456789\n")
    settings = load_settings({"DATABASE_URL": PG, "PROCURA_JWT_SECRET_FILE": str(secret)})
    assert settings.jwt_secret == "a-secret-from-a-mounted-file-0123456789"


def test_a_secret_given_both_ways_is_refused(tmp_path):
    secret = tmp_path / "jwt"
    secret.write_text("x" * 40)
    with pytest.raises(ConfigError, match="PROCURA_JWT_SECRET_FILE"):
        load_settings({"DATABASE_URL": PG, "PROCURA_JWT_SECRET": "y" * 40, "PROCURA_JWT_SECRET_FILE": str(secret)})


def test_a_secret_file_that_cannot_be_read_is_refused_naming_its_variable(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_URL_FILE: cannot read"):
        load_settings({"DATABASE_URL_FILE": str(tmp_path / "missing")})


def test_migrating_needs_no_token_secret():
    assert load_settings({"DATABASE_URL": PG}, needs_token_secret=False).database_url == PG


def test_an_unknown_log_level_is_refused():
    with pytest.raises(ConfigError, match="PROCURA_LOG_LEVEL"):
        load_settings({"PROCURA_LOG_LEVEL": "loud"})
