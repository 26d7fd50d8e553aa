"""Tuned minus base, per metric and query slice, with a paired test and a bootstrap CI.

Reads a results.json only (never re-runs models). Slices are query subsets, e.g. by the
`domain` in a BEIR queries.jsonl's metadata, so a recipe tuned on medical queries can be
judged in-domain and on the domains it was not tuned for. p-values are Holm-adjusted over
all rows of one table (stats.holm); the raw ones are kept beside them.

>>> rows = deltas(result, "m3e-small", "m3e-medical", "domain", ["RR@10"])  # doctest: +SKIP
>>> print(to_markdown(rows))                                                 # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from embedgate.inputs.beir import iter_jsonl
from embedgate.infra.errors import InputError
from embedgate.results.schema import RunResult
from embedgate.algorithms.stats import Method, bootstrap_ci, holm, paired_test


@dataclass(frozen=True)
class Delta:
    slice: str
    metric: str
    n: int
    base: float
    tuned: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float = float("nan")


def delta(name: str, metric: str, tuned: Mapping[str, float], base: Mapping[str, float],
          method: Method = "randomization", seed: int = 0) -> Delta:
    """One row: mean(tuned - base) over the queries both judged, with p and 95 % CI."""
    test = paired_test(tuned, base, method=method, seed=seed)
    low, high = bootstrap_ci(tuned, base, seed=seed)
    return Delta(slice=name, metric=metric, n=test.n, base=test.mean_b, tuned=test.mean_a,
                 diff=test.diff, ci_low=low, ci_high=high, p_value=test.p_value)


def deltas(result: RunResult, base: str, tuned: str, dataset: str, metrics: list[str],
           slices: Mapping[str, set[str]] | None = None, tier: str = "retrieval",
           method: Method = "randomization", seed: int = 0) -> list[Delta]:
    """Rows for every metric × slice ("all" first); p-values Holm-adjusted over the table."""
    rows: list[Delta] = []
    for metric in metrics:
        a, b = result.values(tuned, tier, dataset, metric), result.values(base, tier, dataset, metric)
        if a is None or b is None:
            raise InputError(f"results have no per-query {metric} for {tuned!r} and {base!r} on "
                             f"{tier}/{dataset}; check the embedder ids and the suite's metrics")
        for name, qids in {"all": set(a), **(slices or {})}.items():
            keep = qids & set(a)
            if len(keep) >= 2:
                rows.append(delta(name, metric, {q: a[q] for q in keep}, {q: b[q] for q in keep},
                                  method, seed))
    adjusted = holm([r.p_value for r in rows]) if rows else []
    return [Delta(**{**r.__dict__, "p_holm": p}) for r, p in zip(rows, adjusted)]


def query_slices(queries_jsonl: Path, key: str = "domain") -> dict[str, set[str]]:
    """{metadata value: query ids} from a BEIR queries.jsonl (queries without the key: none)."""
    out: dict[str, set[str]] = {}
    for _, obj in iter_jsonl(queries_jsonl):
        meta = obj.get("metadata")
        if isinstance(meta, dict) and key in meta:
            out.setdefault(str(meta[key]), set()).add(str(obj.get("_id", obj.get("id"))))
    return dict(sorted(out.items()))


def to_markdown(rows: list[Delta], variants: list[str] | None = None) -> str:
    """A Markdown table; `variants` (one label per row) adds a first column."""
    cols = (["variant"] if variants else []) + [
        "slice", "metric", "n", "base", "tuned", "Δ", "95 % CI", "p", "p (Holm)"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for i, r in enumerate(rows):
        cells = ([variants[i]] if variants else []) + [
            r.slice, r.metric, str(r.n), f"{r.base:.4f}", f"{r.tuned:.4f}", f"{r.diff:+.4f}",
            f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}]", f"{r.p_value:.4f}", f"{r.p_holm:.4f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
