"""Stand-ins for outside partners, for demos and tests. Not part of Procura:
nothing under `app/` imports this package."""
