"""Results JSON: the interface between running and judging (gate, compare, report read it).

Schema (documented in docs/results-schema.md): `schema_version`, `suite`, `provenance`,
`embedders`, `datasets`, `params`, a flat `metrics` list (one row per embedder / tier /
dataset / metric), `per_query` values beside it, tier `details`, and `timings`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from embedgate.infra import atomic
from embedgate.infra.errors import InputError
from embedgate.infra.textio import read_text
from embedgate.results.verdict import Verdict

SCHEMA_VERSION = "1.0"


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bounds(_Rec):
    """A retrieval row's value under the other treatments of unjudged documents (see
    algorithms/holes.py): counted relevant (the upper value) and removed (condensed)."""

    unjudged_relevant: float
    condensed: float


class MetricRow(_Rec):
    embedder: str
    tier: str
    dataset: str
    metric: str
    value: float
    higher_is_better: bool
    n_queries: int
    unit: str = ""
    bounds: Bounds | None = None  # retrieval rows only: the holes' treatments


class PerQuery(_Rec):
    embedder: str
    tier: str
    dataset: str
    metric: str
    values: dict[str, float]


class TierResult(_Rec):
    """What one tier returns for one embedder (and dataset, where it has one)."""

    tier: str
    embedder: str
    dataset: str | None = None
    metrics: list[MetricRow] = Field(default_factory=list)
    per_query: list[PerQuery] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    artifacts: dict[str, str] = Field(default_factory=dict)  # relative file name -> text
    timings: dict[str, float] = Field(default_factory=dict)


class SuiteInfo(_Rec):
    name: str
    file: str
    sha256: str
    description: str = ""


class RunResult(_Rec):
    schema_version: str = SCHEMA_VERSION
    suite: SuiteInfo
    provenance: dict[str, Any]
    embedders: dict[str, dict[str, Any]]
    datasets: dict[str, dict[str, Any]]
    params: dict[str, Any]
    metrics: list[MetricRow]
    per_query: list[PerQuery]
    details: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    verdict: Verdict | None = None  # the gates' outcome; absent in runs without gates
    # What shaped the vectors and the data (run/fingerprint.py); empty in older files.
    fingerprint: dict[str, Any] = Field(default_factory=dict)

    def metric(self, embedder: str, tier: str, dataset: str, metric: str) -> MetricRow | None:
        for row in self.metrics:
            if (row.embedder, row.tier, row.dataset, row.metric) == (embedder, tier, dataset, metric):
                return row
        return None

    def values(self, embedder: str, tier: str, dataset: str, metric: str) -> dict[str, float] | None:
        for pq in self.per_query:
            if (pq.embedder, pq.tier, pq.dataset, pq.metric) == (embedder, tier, dataset, metric):
                return pq.values
        return None

    def save(self, path: Path) -> None:
        atomic.write_json(path, self.model_dump(mode="json"))

    @classmethod
    def load(cls, path: Path) -> RunResult:
        text = read_text(path, "results file")  # missing, a folder, NUL, not UTF-8: one line
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}: not a results JSON file ({exc.msg}); pass a "
                             "results.json written by `embedgate run`") from None
        if not isinstance(raw, dict):
            raise InputError(f"{path}: holds a JSON {type(raw).__name__}, not a results object; "
                             "pass a results.json written by `embedgate run`")
        version = raw.get("schema_version")
        if version != SCHEMA_VERSION:
            raise InputError(f"{path}: results schema_version {version!r} is not {SCHEMA_VERSION!r};"
                             " re-run the suite with this embedgate version")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise InputError(f"{path}: invalid results at {loc}: {err['msg']}") from None
