"""Serving the API: gunicorn behind HAProxy (server.py, edge.py), and the
logs and metrics of a running process (observability.py, metrics.py)."""
