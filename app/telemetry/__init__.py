"""Logging, metrics and tracing: the bottom of `app/`, usable from every
layer above the domain, because nothing here imports more of Procura than
app.jsonbytes."""
