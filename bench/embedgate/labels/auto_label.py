"""`embedgate pool --judge FILE`: a judge model labels the pooled pairs, once it has shown that
it agrees with the humans (labels/calibrate.py). Only the unjudged pooled pairs are sent; the
labelled judging file names the judge as `who`, so `qrels_extra:` keeps its provenance.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from embedgate.algorithms.holes import max_grade
from embedgate.infra import atomic
from embedgate.labels.calibrate import Calibration, calibrate
from embedgate.labels.llm_judge import to_scale
from embedgate.labels.pool import DatasetPool
from embedgate.suite.judge import ChatJudgeSpec, RerankJudgeSpec


class Judge(Protocol):
    """Grades on the judge scale 0–3 (labels/llm_judge.py) for (query, passage) pairs."""

    name: str

    def grades(self, pairs: Sequence[tuple[str, str]]) -> list[int]: ...


def label_pools(judge: Judge, spec: ChatJudgeSpec | RerankJudgeSpec,
                pools: Sequence[DatasetPool], report: Path) -> list[Calibration]:
    """Calibrate the judge per dataset; label the pool of each dataset where it is accepted
    (records updated in place). The calibrations are written to ``report`` (JSON)."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for pool in pools:
        scale = max_grade(pool.data.qrels)

        def grade(pairs: Sequence[tuple[str, str]], scale: int = scale) -> list[int]:
            return [to_scale(g, scale) for g in judge.grades(pairs)]

        cal = calibrate(pool.data, grade, spec.calibration, spec.seed, spec.kappa_floor)
        out.append(cal)
        if cal.accepted and pool.records:
            grades = grade([(str(r["query"]), str(r["doc"])) for r in pool.records])
            for record, g in zip(pool.records, grades):
                record.update(grade=g, who=judge.name, when=when)
    atomic.write_text(report, json.dumps(
        {"judge": judge.name, "datasets": {p.dataset: asdict(c) for p, c in zip(pools, out)}},
        indent=1) + "\n")
    return out
