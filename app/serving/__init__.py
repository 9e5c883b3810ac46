"""Running the API's processes: granian behind HAProxy, or gunicorn alone
(server.py, edge.py, edge_log.py), stopping them (shutdown.py), and `procura
worker`'s status port (worker_status.py)."""
