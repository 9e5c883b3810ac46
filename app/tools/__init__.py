"""Tools for people: the demo data (`procura seed-demo`), the walkthrough and
the generated public event catalogue."""
