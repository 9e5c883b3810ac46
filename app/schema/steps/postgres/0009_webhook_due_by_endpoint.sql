-- Expand: each endpoint's pending deliveries in the order they fall due, so
-- a sender claims an endpoint's next delivery without reading past another
-- endpoint's backlog (app/webhooks/outbox.py, Deliveries.claim). An index
-- only: older releases' processes neither need nor notice it.

CREATE INDEX IF NOT EXISTS procura_webhook_deliveries__endpoint_due ON procura_webhook_deliveries (endpoint_id, next_attempt_at, position) WHERE state = 'pending';
