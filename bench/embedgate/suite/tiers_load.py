"""The `tiers.load:` key: a bounded open-loop QPS sweep of embedders served on loopback.

Local embedders are served in-process on 127.0.0.1 once per listed configuration; an
`openai-compatible` embedder whose base_url is loopback is loaded as it runs (one
configuration, `endpoint`). Every step stops after `step_seconds` or `max_requests`.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from embedgate.suite.base import Seed, Spec, TierSpec

ConfigType = Literal["plain", "batch", "batch+lru"]
Qps = Annotated[float, Field(gt=0, le=10_000)]


class LoadConfigSpec(Spec):
    """One server configuration: plain (one request, one encode call), batch (dynamic
    batching) or batch+lru (batching and an LRU of query vectors)."""

    type: ConfigType
    max_batch: int = Field(default=32, ge=2, le=100_000)  # batch, batch+lru
    max_wait_ms: float = Field(default=5.0, ge=0, le=10_000)  # batch, batch+lru
    cache_size: int = Field(default=1000, ge=1, le=10_000_000)  # batch+lru


def _default_configs() -> list[LoadConfigSpec]:
    return [LoadConfigSpec(type=t) for t in ("plain", "batch", "batch+lru")]


class LoadTier(TierSpec):
    """Latency p50/p95/p99, error rate, achieved QPS and cache hit rate per configuration and
    QPS; served-vs-local quality per configuration."""

    dataset: str | None = None  # queries come from it (default: the first dataset)
    qps: list[Qps] = Field(default_factory=lambda: [2.0, 8.0, 24.0])
    step_seconds: float = Field(default=5.0, gt=0, le=600)
    max_requests: int = Field(default=200, ge=1, le=100_000)  # per step
    zipf: float = Field(default=1.1, ge=0, le=5)
    concurrency: int = Field(default=32, ge=1, le=512)  # sending threads
    timeout_s: float = Field(default=10.0, gt=0, le=600)  # one request
    configurations: list[LoadConfigSpec] = Field(default_factory=_default_configs)
    quality: bool = True  # served vs local nDCG@10 (local embedders only)
    seed: Seed | None = None  # arrivals and the query stream; None: the suite's seed

    @field_validator("qps")
    @classmethod
    def _qps_listed(cls, value: list[float]) -> list[float]:
        if not value:
            raise ValueError("qps is empty; list the request rates of the sweep, e.g. [2, 8, 24]")
        if len(set(value)) != len(value):
            raise ValueError(f"qps {value} repeats a rate; list each rate once")
        return value

    @field_validator("configurations")
    @classmethod
    def _configs_unique(cls, value: list[LoadConfigSpec]) -> list[LoadConfigSpec]:
        if not value:
            raise ValueError("configurations is empty; list at least one, e.g. - type: plain")
        types = [c.type for c in value]
        for i, t in enumerate(types):
            if t in types[:i]:
                raise ValueError(f"configuration {t} is listed twice; list each type once")
        return value
