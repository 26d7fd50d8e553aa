"""What a tier receives besides its inputs: seed, threads, encoder, progress, logging.

Tiers stay pure: they never seed globals or keep caches; all of that arrives here.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedgate.embedders.base import Embedder, Role
from embedgate.infra.pool import ResourcePool

log = logging.getLogger("embedgate")

EncodeFn = Callable[[Embedder, Sequence[str], Role], np.ndarray]


def plain_encode(embedder: Embedder, texts: Sequence[str], role: Role) -> np.ndarray:
    return embedder.encode(texts, role)


@dataclass
class RunContext:
    seed: int = 0
    threads: int = 1
    progress: bool = True
    encode_fn: EncodeFn = plain_encode
    encode_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    datasets: dict[str, Any] = field(default_factory=dict)  # loaded collections by id
    # `python -m <child_entry>` starts a worker process that can build every registered kind
    # (the runner names run.child, which installs the catalog); empty: the tier's own worker.
    child_entry: str = ""
    # indexes a sweep's settings share (built by the first, closed after the last: the runner)
    pool: ResourcePool = field(default_factory=ResourcePool)

    def encode(self, embedder: Embedder, texts: Sequence[str], role: Role) -> np.ndarray:
        start = time.perf_counter()
        vectors = self.encode_fn(embedder, texts, role)
        self.encode_seconds += time.perf_counter() - start
        return vectors

    def rng(self, salt: str = "") -> np.random.Generator:
        """A generator derived from the suite seed and a salt, so tiers never share state."""
        import hashlib

        digest = hashlib.sha256(f"{self.seed}:{salt}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))
