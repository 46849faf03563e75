"""The diffusion engine as the benchmarks need it: tiny random-weight models at tiny sizes.

The registered diffusion spec allows 256–1024 px, and its engine never goes below 256 px; the
tiny test pipelines are only fast at 64–128 px. These helpers give the same engine (same
factory, same model cache) with the lower limits, either in a registry of its own
(:func:`tiny_registry`) or swapped into the app's registry for a while
(:func:`tiny_diffusion_in`), so the window and its CoverService pick it up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

MIN_SIDE = 64


def tiny_diffusion_spec(spec: Any, min_side: int = MIN_SIDE) -> Any:
    """The diffusion ``spec`` with sizes from ``min_side`` and an engine that allows them."""

    def factory(models: Any) -> Any:
        from albumstudio.engines.diffusion_cover import DiffusionCoverEngine

        return DiffusionCoverEngine(models=models, min_side=min_side)

    high = spec.limit("size", (min_side, 1024))[1]
    return replace(spec, factory=factory, limits={**spec.limits, "size": (min_side, high)})


def tiny_registry(min_side: int = MIN_SIDE) -> Any:
    """A registry of its own with the built-in engines, the diffusion one allowing tiny sizes."""
    from albumstudio.engines.registry import EngineRegistry, engines

    registry = EngineRegistry()
    for spec in engines().specs(None):
        registry.register(tiny_diffusion_spec(spec, min_side) if spec.name == "diffusion"
                          else spec)
    return registry


@contextmanager
def tiny_diffusion_in(registry: Any, min_side: int = MIN_SIDE) -> Iterator[Any]:
    """Swap the tiny-size diffusion spec into ``registry`` (the app's, by default everyone's)
    and put the registered one back afterwards."""
    original = registry.get("diffusion")
    registry.unregister("diffusion")
    registry.register(tiny_diffusion_spec(original, min_side))
    try:
        yield registry
    finally:
        registry.unregister("diffusion")
        registry.register(original)
