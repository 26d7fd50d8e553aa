"""One configuration of the sweep: build its index, search every query, time a sample.

A configuration is (precision, dim, rescore multiplier or None, index type). The reference is
("fp32", full dim, None, "flat"): faiss IndexFlatIP on the embedder's own vectors.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedgate.algorithms.compression import (Compressed, build, code_bytes, faiss_threads,
                                              prefix, rescore, rescore_one)
from embedgate.algorithms.search import IndexParams
from embedgate.suite.tiers import CompressionTier


@dataclass(frozen=True)
class Config:
    precision: str
    dim: int
    rescore: int | None  # candidates = top_k × rescore, re-ranked by full fp32 vectors
    index: str

    @property
    def id(self) -> str:
        tail = f"/rescore{self.rescore}" if self.rescore else ""
        return f"{self.precision}/{self.dim}d/{self.index}{tail}"


def reference(full_dim: int) -> Config:
    return Config("fp32", full_dim, None, "flat")


def plan(params: CompressionTier, full_dim: int) -> list[Config]:
    """The reference first, then the sweep's product in the suite's order (dims listed twice
    once "full" is resolved count once)."""
    dims = list(dict.fromkeys(full_dim if d == "full" else int(d) for d in params.dims))
    rescores = [None if r == "none" else int(r) for r in params.rescore]
    ref = reference(full_dim)
    sweep = [Config(p, d, r, i) for p, d, r, i in
             itertools.product(params.precisions, dims, rescores, params.index)]
    return [ref] + [c for c in sweep if c != ref]


@dataclass
class Vectors:
    """The embedder's full vectors and their Matryoshka prefixes, each computed once per run."""

    docs: np.ndarray
    queries: np.ndarray
    _prefixes: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def full_dim(self) -> int:
        return int(self.docs.shape[1])

    def at(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        if dim >= self.full_dim:
            return self.docs, self.queries
        if dim not in self._prefixes:
            self._prefixes[dim] = (prefix(self.docs, dim), prefix(self.queries, dim))
        return self._prefixes[dim]


@dataclass(frozen=True)
class Measured:
    """One configuration's ranking of every query, its size and its timings."""

    config: Config
    scores: np.ndarray
    idx: np.ndarray
    description: str
    settings: dict[str, Any]
    bytes_per_vector: float
    index_bytes: int
    build_s: float
    latency_ms: list[float]

    def facts(self, full_dim: int) -> dict[str, Any]:
        c = self.config
        return {"id": c.id, "precision": c.precision, "dim": c.dim, "rescore": c.rescore,
                "index": c.index, "description": self.description, "settings": self.settings,
                "bytes_per_vector": self.bytes_per_vector,
                "code_bytes_per_vector": code_bytes(c.precision, c.dim),
                "index_bytes": self.index_bytes, "build_s": self.build_s,
                # rescoring reads the full fp32 vectors, kept beside the index (disk or RAM)
                "rescore_bytes_per_vector": code_bytes("fp32", full_dim) if c.rescore else 0}


@dataclass(frozen=True)
class Timing:
    """Which queries are timed one at a time, and with how many faiss threads."""

    queries: np.ndarray  # positions
    threads: int


def measure(config: Config, vectors: Vectors, top_k: int, params: IndexParams,
            rng: np.random.Generator, timing: Timing) -> Measured:
    """Build the configuration's index, rank all queries, time the `timed` ones one by one."""
    docs, queries = vectors.at(config.dim)
    start = time.perf_counter()
    built = build(docs, config.precision, config.index, params, rng)
    build_s = time.perf_counter() - start
    depth = top_k * (config.rescore or 1)
    scores, idx = built.search(built.encode(queries), depth)
    if config.rescore:
        scores, idx = rescore(vectors.docs, vectors.queries, idx, top_k)
    return Measured(config, scores, idx, built.description, built.settings,
                    built.bytes_per_vector(), built.total_bytes(), build_s,
                    _latencies(built, config, vectors, top_k, timing))


def _latencies(built: Compressed, config: Config, vectors: Vectors, top_k: int,
               timing: Timing) -> list[float]:
    """Milliseconds per single query: encode to codes, search, and rescore when asked."""
    with faiss_threads(timing.threads):
        return _timed(built, config, vectors, top_k, [int(t) for t in timing.queries])


def _timed(built: Compressed, config: Config, vectors: Vectors, top_k: int,
           rows: list[int]) -> list[float]:
    _, queries = vectors.at(config.dim)
    depth = top_k * (config.rescore or 1)
    out: list[float] = []
    for n, row in enumerate(rows[:1] + rows):  # the first search is a warm-up
        start = time.perf_counter()
        _, idx = built.search(built.encode(queries[row:row + 1]), depth)
        if config.rescore:
            rescore_one(vectors.docs, vectors.queries[row], idx[0], top_k)
        if n:
            out.append((time.perf_counter() - start) * 1e3)
    return out
