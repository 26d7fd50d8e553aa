"""The `judge:` block: a model that labels unjudged pooled pairs (`embedgate pool --judge`).

Only an OpenAI-compatible chat endpoint is offered (UMBRELA's 0–3 prompt); the key is read
from the environment variable `api_key_env` names, never from the file. Before its labels are
used the judge labels `calibration` seeded already-judged pairs, and is refused below
`kappa_floor` (Cohen's kappa against the humans).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from embedgate.suite.base import Seed, Spec
from embedgate.suite.loading import load_mapping, validate


class ChatJudgeSpec(Spec):
    type: Literal["openai-compatible"] = "openai-compatible"
    base_url: str = Field(pattern=r"^https?://[^\s/]+(/\S*)?$")
    model: str = Field(min_length=1)
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    max_tokens: int = Field(default=64, gt=0, le=4096)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    max_retries: int = Field(default=2, ge=0, le=20)
    backoff_s: float = Field(default=0.5, gt=0, le=60)
    max_concurrency: int = Field(default=4, gt=0, le=64)
    request_budget: int = Field(default=5000, gt=0, le=10_000_000)
    kappa_floor: float = Field(default=0.4, ge=-1.0, le=1.0)
    calibration: int = Field(default=40, ge=4, le=100_000)  # already-judged pairs sampled
    seed: Seed = 0


class JudgeFile(Spec):
    judge: ChatJudgeSpec


def load_judge(path: Path) -> ChatJudgeSpec:
    """The `judge:` block of a YAML file; mistakes are one file:line error (exit 2)."""
    return validate(JudgeFile, load_mapping(path, "judge file", "judge:")).judge
