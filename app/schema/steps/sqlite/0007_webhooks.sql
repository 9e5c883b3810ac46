-- Expand: webhook endpoints, their deliveries (an outbox the worker fills
-- from the public events and drains by sending) and every attempt made
-- (app/webhooks, docs/webhooks.md). New tables only: an older release's
-- processes never read them.

CREATE TABLE IF NOT EXISTS procura_webhook_endpoints (id TEXT NOT NULL, org TEXT NOT NULL, url TEXT NOT NULL, event_types TEXT NOT NULL, description TEXT NOT NULL, enabled INTEGER NOT NULL, disabled_reason TEXT, secret TEXT NOT NULL, previous_secret TEXT, previous_secret_until TEXT, after_position BIGINT NOT NULL, failing_since TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS procura_webhook_endpoints__org ON procura_webhook_endpoints (org, created_at, id);

CREATE TABLE IF NOT EXISTS procura_webhook_deliveries (webhook_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, org TEXT NOT NULL, position BIGINT NOT NULL, po_id TEXT NOT NULL, type TEXT NOT NULL, event_id TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, tries INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, leased_until TEXT, last_status INTEGER, last_error TEXT, last_attempt_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (webhook_id));
CREATE UNIQUE INDEX IF NOT EXISTS procura_webhook_deliveries__endpoint ON procura_webhook_deliveries (endpoint_id, position);
CREATE INDEX IF NOT EXISTS procura_webhook_deliveries__state ON procura_webhook_deliveries (endpoint_id, state, position);
CREATE INDEX IF NOT EXISTS procura_webhook_deliveries__type ON procura_webhook_deliveries (endpoint_id, type, position);
CREATE INDEX IF NOT EXISTS procura_webhook_deliveries__due ON procura_webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS procura_webhook_deliveries__po ON procura_webhook_deliveries (endpoint_id, po_id, position) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS procura_webhook_deliveries__settled ON procura_webhook_deliveries (updated_at) WHERE state <> 'pending';

CREATE TABLE IF NOT EXISTS procura_webhook_attempts (webhook_id TEXT NOT NULL, number INTEGER NOT NULL, endpoint_id TEXT NOT NULL, attempted_at TEXT NOT NULL, status INTEGER, latency_ms INTEGER NOT NULL, error TEXT, response TEXT, PRIMARY KEY (webhook_id, number));
CREATE INDEX IF NOT EXISTS procura_webhook_attempts__endpoint ON procura_webhook_attempts (endpoint_id);
