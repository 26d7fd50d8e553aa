"""The `judge:` block: a model that labels unjudged pooled pairs (`embedgate pool --judge`).

Two types: `openai-compatible`, a chat endpoint graded with UMBRELA's 0–3 prompt (the key
from the environment variable `api_key_env` names, never from the file); and `rerank`, a
`/v1/rerank` endpoint or a CrossEncoder directory whose score at or above `threshold` counts
relevant. Before its labels are used the judge labels `calibration` seeded already-judged
pairs, and is refused below `kappa_floor` (Cohen's kappa against the humans).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from embedgate.suite.base import Seed, Spec
from embedgate.suite.embedders import RerankEndpointSpec
from embedgate.suite.http import HttpEndpointSpec
from embedgate.suite.loading import load_mapping, validate


class _Calibrated(Spec):
    kappa_floor: float = Field(default=0.4, ge=-1.0, le=1.0)
    calibration: int = Field(default=40, ge=4, le=100_000)  # already-judged pairs sampled
    seed: Seed = 0


class ChatJudgeSpec(_Calibrated, HttpEndpointSpec):
    """A chat endpoint; endpoint settings (base_url, key variable, timeouts, retries, budget)
    as every HTTP spec's (`suite/http.py`), with a judge's own defaults."""

    type: Literal["openai-compatible"]
    max_tokens: int = Field(default=64, gt=0, le=4096)
    max_retries: int = Field(default=2, ge=0, le=20)
    max_call_s: float = Field(default=300.0, gt=0, le=86400)
    request_budget: int = Field(default=5000, gt=0, le=10_000_000)


class RerankJudgeSpec(_Calibrated):
    """A cross-encoder as a binary judge: score >= threshold is relevant (the top grade)."""

    type: Literal["rerank"]
    threshold: float
    endpoint: RerankEndpointSpec | None = None
    model: Path | None = None  # a CrossEncoder directory (relative to the judge file)
    max_length: int = Field(default=256, gt=0, le=8192)
    batch_size: int = Field(default=32, gt=0, le=4096)

    @model_validator(mode="after")
    def _one_source(self) -> RerankJudgeSpec:
        if (self.endpoint is None) == (self.model is None):
            raise ValueError("a rerank judge needs exactly one of endpoint: or model:")
        return self


JudgeSpec = Annotated[ChatJudgeSpec | RerankJudgeSpec, Field(discriminator="type")]


class JudgeFile(Spec):
    judge: JudgeSpec


def load_judge(path: Path) -> ChatJudgeSpec | RerankJudgeSpec:
    """The `judge:` block of a YAML file; mistakes are one file:line error (exit 2). A rerank
    judge's `model:` directory is resolved against the file's folder."""
    spec = validate(JudgeFile, load_mapping(path, "judge file", "judge:")).judge
    if isinstance(spec, RerankJudgeSpec) and spec.model is not None:
        spec = spec.model_copy(update={"model": (path.parent / spec.model).resolve()})
    return spec
