"""Logging, metrics and tracing: the bottom of `app/`, importable from every
layer above the domain because it imports nothing of Procura."""
