"""Webhooks to integrators (docs/integrators/webhooks.md): endpoints an org's admins
register, the SSRF guard every URL passes, the outbox of deliveries the
worker fills from the public events, and the sender that drains it."""
