"""Test support shared by tests/, harness/ and benchmarks/: a real server in
a subprocess (server.py), scratch PostgreSQL databases (pg.py, also a pytest
plugin) and private PostgreSQL clusters (pg_cluster.py)."""
