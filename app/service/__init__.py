"""The application service: the event-sourced Application, the command
service every write goes through, its refusals, idempotency and event
metadata, and the start-up check of the command declarations."""
