"""The suite's `published:` list: published MTEB results shown beside a bake-off's systems.

Each entry is a TaskResult JSON or a results-repository folder (relative to the suite file);
its figures become reference rows of the run's compare.md, never tested (no per-query values).
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from embedgate.suite.base import Spec


class PublishedSpec(Spec):
    path: Path
    split: str = "test"
    # dataset id -> MTEB task name; BEIR ids (scifact, nfcorpus, …) map without one
    tasks: dict[str, str] = Field(default_factory=dict)
