"""Procura's application layer: the service, persistence, HTTP, CLI and
serving. `app.bootstrap` is the composition root (docs/developers/architecture.md);
importing this package builds nothing and loads no web framework."""
