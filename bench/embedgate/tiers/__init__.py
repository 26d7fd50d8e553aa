"""Tiers: one module each, found by the name of its field in `config.Tiers`.

A tier module provides
- ``prepare(params, loaded, datasets) -> list[Unit]``: load and check its inputs once, before
  any model runs (bad input fails in seconds); a Unit is (dataset id or None, data);
- ``run(embedder, data, params, ctx) -> TierResult``: pure; called once per embedder and unit.

A suite-scoped tier (module constant ``SCOPE = "suite"``, e.g. perf, which needs every variant
at once) provides ``run_suite(loaded, params, units, results_so_far, ctx) -> list[TierResult]``
instead of ``run``; the runner calls it once, after all per-embedder tiers.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

Unit = tuple[str | None, Any]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def is_suite_scoped(mod: ModuleType) -> bool:
    return getattr(mod, "SCOPE", "embedder") == "suite"
