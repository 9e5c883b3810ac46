"""Serving the API: gunicorn behind HAProxy (server.py, edge.py), and the
logs and metrics of a running process (observability.py; the metrics
themselves are defined in app.telemetry)."""
