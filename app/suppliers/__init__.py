"""Suppliers: the port (what Procura needs from a supplier), one adapter
module per partner, the registry that finds them, and the placement process
(outbox processor, executor, callbacks)."""
