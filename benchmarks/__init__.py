"""Benchmarks behind scripts/bench_*: each prints figures against a baseline
measured in the same run. Timings never become test assertions."""
