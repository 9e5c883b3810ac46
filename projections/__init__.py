"""Read models: one module per read model, each a `Processor` (see runner)."""

from __future__ import annotations

from projections.runner import Processor


def read_models() -> list[Processor]:
    """Every read model, in the order `GET /projections` lists them."""
    return []
