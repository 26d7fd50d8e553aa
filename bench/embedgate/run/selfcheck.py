"""`embedgate selfcheck`: what a reviewer runs before trusting a new machine.

Three kinds of check, each a `Check` row (expected, got, tolerance, status, seconds):

* metric parity: embedgate's metric code (`algorithms.ir.per_query`) on a built-in sample of
  qrels and a run, against values computed by hand and against ranx, to 1e-9 per query;
* the paired tests of `algorithms.stats`: the t-test's p against ranx's (1e-9), the seeded
  randomisation test's p against exact enumeration of every sign pattern (Monte-Carlo error);
* reproduction of a published figure: all-MiniLM-L6-v2 on BEIR SciFact test, nDCG@10 = 0.6451
  (MTEB), through the same run pipeline as `embedgate run suites/scifact-minilm.yaml` with the
  embedding cache off, so the vectors are computed on this machine.
"""
from __future__ import annotations

import itertools
import json
import math
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from embedgate.algorithms import ir
from embedgate.algorithms.stats import paired_arrays, paired_test
from embedgate.encode.setup import EncodeOverrides
from embedgate.run.runner import run_suite
from embedgate.suite import load_suite

# The published figure and the settings of suites/scifact-minilm.yaml that reproduce it (a test
# keeps the two in step).
PUBLISHED_NDCG10 = 0.6451
NDCG_TOLERANCE = 0.005
MODEL = "packaged:all-MiniLM-L6-v2"
BATCH_SIZE = 64
TOP_K = 100
SEED = 13
METRIC_TOLERANCE = 1e-9

# Built-in sample: no tied scores (libraries break ties differently); q3 is graded (linear gain,
# as trec_eval and ranx), q4 retrieves nothing relevant.
QRELS = {"q1": {"d1": 1, "d3": 1}, "q2": {"d2": 1}, "q3": {"d1": 2, "d2": 1}, "q4": {"d5": 1}}
RUN = {"q1": {"d1": 0.9, "d2": 0.8, "d3": 0.7}, "q2": {"d1": 0.9, "d3": 0.8, "d2": 0.7},
       "q3": {"d2": 0.9, "d1": 0.8, "d4": 0.1}, "q4": {"d1": 0.9, "d2": 0.8}}
_L3 = math.log2(3)
HAND: dict[str, dict[str, float]] = {
    # q1: relevant at ranks 1 and 3; q2: at rank 3; q3: rel 1 at rank 1, rel 2 at rank 2.
    "nDCG@10": {"q1": 1.5 / (1 + 1 / _L3), "q2": 0.5, "q3": (1 + 2 / _L3) / (2 + 1 / _L3),
                "q4": 0.0},
    "RR@10": {"q1": 1.0, "q2": 1 / 3, "q3": 1.0, "q4": 0.0},
    "R@2": {"q1": 0.5, "q2": 0.0, "q3": 1.0, "q4": 0.0},
    "AP@100": {"q1": (1 + 2 / 3) / 2, "q2": 1 / 3, "q3": 1.0, "q4": 0.0},
}
RANX_NAMES = {"nDCG@10": "ndcg@10", "RR@10": "mrr@10", "R@2": "recall@2", "AP@100": "map@100"}

# Per-query values of two systems on 12 queries, for the paired tests.
SYS_A = [0.62, 0.71, 0.55, 0.90, 0.48, 0.77, 0.66, 0.59, 0.83, 0.70, 0.52, 0.68]
SYS_B = [0.58, 0.70, 0.49, 0.85, 0.50, 0.69, 0.60, 0.61, 0.74, 0.66, 0.47, 0.69]
RANDOMIZATION_TOLERANCE = 0.015  # 20,000 resamples: Monte-Carlo s.e. <= 0.0035


@dataclass(frozen=True)
class Check:
    """One row of the selfcheck table; `status` is "pass", "fail" or "skipped"."""

    name: str
    expected: str
    got: str
    tolerance: str
    status: str
    seconds: float
    note: str = ""


def _timed(fn: Callable[[], Check]) -> Check:
    t0 = time.perf_counter()
    check = fn()
    return replace(check, seconds=time.perf_counter() - t0)


def _row(name: str, expected: float, got: float, worst: float, tol: float, note: str = "") -> Check:
    """A parity row: the means shown, the status from the worst per-query difference."""
    ok = math.isfinite(worst) and worst <= tol
    return Check(name, f"{expected:.10f}", f"{got:.10f}", f"{tol:g}", "pass" if ok else "fail",
                 0.0, note if ok else f"max |diff| {worst:.3g}; {note}".rstrip("; "))


def _worst(ours: Mapping[str, float], theirs: Mapping[str, float]) -> float:
    if set(ours) != set(theirs):
        return math.inf
    return max(abs(ours[q] - theirs[q]) for q in theirs)


def _parity(name: str, expected: Mapping[str, float], got: Mapping[str, float]) -> Check:
    return _row(name, ir.mean(expected), ir.mean(got), _worst(got, expected), METRIC_TOLERANCE)


def embedgate_values() -> dict[str, dict[str, float]]:
    """embedgate's per-query values on the sample (looked up at call time: tests break it)."""
    return ir.per_query([ir.parse_metric(m) for m in HAND], QRELS, RUN)


def ranx_values() -> dict[str, dict[str, float]]:
    from ranx import Qrels, Run, evaluate

    qrels = Qrels({q: dict(d) for q, d in QRELS.items()})
    got = evaluate(qrels, Run({q: dict(d) for q, d in RUN.items()}), list(RANX_NAMES.values()),
                   return_mean=False)
    qids = list(qrels.keys())  # ranx's arrays follow its qrels' query order
    return {m: dict(zip(qids, map(float, got[r]))) for m, r in RANX_NAMES.items()}


def metric_checks() -> list[Check]:
    """Each metric against the hand values, then against ranx (its first call JIT-compiles)."""
    t0 = time.perf_counter()
    ours = embedgate_values()
    ours_s = time.perf_counter() - t0
    rows = [replace(_parity(f"{m} = hand", HAND[m], ours.get(m, {})),
                    seconds=ours_s / len(HAND)) for m in HAND]
    t1 = time.perf_counter()
    theirs = ranx_values()
    ranx_s = time.perf_counter() - t1
    rows += [replace(_parity(f"{m} = ranx", theirs[m], ours.get(m, {})),
                     seconds=ranx_s / len(HAND)) for m in HAND]
    return rows


def _paired() -> tuple[dict[str, float], dict[str, float]]:
    return ({f"q{i}": v for i, v in enumerate(SYS_A)}, {f"q{i}": v for i, v in enumerate(SYS_B)})


def t_test_check() -> Check:
    from ranx.statistical_tests import paired_student_t_test


    a, b = _paired()
    xa, xb = paired_arrays(a, b)
    want, _ = paired_student_t_test(xb, xa)
    got = paired_test(a, b, method="t-test").p_value
    return _row("paired t-test p = ranx", float(want), got, abs(got - float(want)),
                METRIC_TOLERANCE)


def randomization_check() -> Check:
    a, b = _paired()
    xa, xb = paired_arrays(a, b)
    d = xa - xb
    exact = sum(abs(float((np.array(s) * d).mean())) >= abs(float(d.mean())) - 1e-12
                for s in itertools.product((1, -1), repeat=len(d))) / 2 ** len(d)
    got = paired_test(a, b, n_resamples=20_000, seed=0).p_value
    return _row("randomisation p = exact", exact, got, abs(got - exact),
                RANDOMIZATION_TOLERANCE, "exact: all 4,096 sign patterns")


def stats_checks() -> list[Check]:
    return [_timed(t_test_check), _timed(randomization_check)]


def scifact_skipped(reason: str) -> Check:
    return Check("SciFact nDCG@10 (MiniLM)", f"{PUBLISHED_NDCG10:.4f}", "-", f"±{NDCG_TOLERANCE}",
                 "skipped", 0.0, reason)


def scifact_check(path: Path, threads: int | None = None) -> Check:
    """Run the published configuration on `path` (a BEIR folder with a test split)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="embedgate-selfcheck-") as tmp_dir:
        suite = Path(tmp_dir) / "selfcheck.yaml"
        suite.write_text(suite_yaml(path), encoding="utf-8")
        result, _ = run_suite(load_suite(suite), out=Path(tmp_dir) / "out", threads=threads,
                              progress=False, encode=EncodeOverrides(no_cache=True))
    row = result.metric("minilm", "retrieval", "scifact", "nDCG@10")
    got = row.value if row else float("nan")
    ok = abs(got - PUBLISHED_NDCG10) <= NDCG_TOLERANCE
    return Check("SciFact nDCG@10 (MiniLM)", f"{PUBLISHED_NDCG10:.4f}", f"{got:.4f}",
                 f"±{NDCG_TOLERANCE}", "pass" if ok else "fail", time.perf_counter() - t0,
                 f"{row.n_queries if row else 0} queries, MTEB's figure")


def suite_yaml(path: Path) -> str:
    """The suite of suites/scifact-minilm.yaml with the dataset at `path` and no cache."""
    return "\n".join([
        "name: selfcheck-scifact", f"seed: {SEED}", "cache: {enabled: false}", "embedders:",
        f"  - {{id: minilm, kind: sentence-transformers, model: {json.dumps(MODEL)}, "
        f"batch_size: {BATCH_SIZE}}}",
        "datasets:",
        f"  - {{id: scifact, format: beir, path: {json.dumps(str(path.resolve()))}, split: test}}",
        "tiers:", f"  retrieval: {{metrics: [nDCG@10], top_k: {TOP_K}}}", ""])


def verdict(checks: list[Check]) -> tuple[int, str]:
    """Exit code and one line: 1 when a check failed, else 0 (a skipped check is said)."""
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        return 1, f"selfcheck: FAIL ({len(failed)} of {len(checks)}: {', '.join(failed)})"
    skipped = [c for c in checks if c.status == "skipped"]
    if skipped:
        return 0, (f"selfcheck: pass ({len(checks) - len(skipped)} checks), but not reproduced: "
                   + "; ".join(f"{c.name} ({c.note})" for c in skipped))
    return 0, f"selfcheck: pass ({len(checks)} checks; the published figure reproduced)"
