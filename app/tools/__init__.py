"""Tools for people: the demo data, replay and tracing behind `procura
events|state|trace`, and the generated behaviour catalogue."""
