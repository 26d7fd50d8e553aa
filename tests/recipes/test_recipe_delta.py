"""Tuned-minus-base rows: means, slices and Holm, from hand-made per-query values."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.recipes.delta import delta, deltas, query_slices, to_markdown
from embedgate.results.schema import MetricRow, PerQuery, RunResult, SuiteInfo

BASE = {"m1": 0.5, "m2": 0.0, "m3": 1.0, "l1": 1.0, "l2": 0.5}
TUNED = {"m1": 1.0, "m2": 0.5, "m3": 1.0, "l1": 0.5, "l2": 0.5}


def _result() -> RunResult:
    rows, pqs = [], []
    for eid, values in (("base", BASE), ("tuned", TUNED)):
        rows.append(MetricRow(embedder=eid, tier="retrieval", dataset="ds", metric="RR@10",
                              value=sum(values.values()) / 5, higher_is_better=True, n_queries=5))
        pqs.append(PerQuery(embedder=eid, tier="retrieval", dataset="ds", metric="RR@10",
                            values=values))
    return RunResult(suite=SuiteInfo(name="s", file="s.yaml", sha256="0"), provenance={},
                     embedders={}, datasets={}, params={}, metrics=rows, per_query=pqs)


def test_delta_row_by_hand() -> None:
    row = delta("all", "RR@10", TUNED, BASE, method="t-test")
    assert row.n == 5
    assert row.base == pytest.approx(3.0 / 5) and row.tuned == pytest.approx(3.5 / 5)
    assert row.diff == pytest.approx(0.1)
    assert row.ci_low <= row.diff <= row.ci_high
    assert 0.0 < row.p_value <= 1.0


def test_slices_and_holm() -> None:
    rows = deltas(_result(), "base", "tuned", "ds", ["RR@10"],
                  {"medical": {"m1", "m2", "m3"}, "legal": {"l1", "l2"}}, method="t-test")
    got = {r.slice: round(r.diff, 6) for r in rows}
    assert got == {"all": 0.1, "medical": round(1 / 3, 6), "legal": -0.25}
    raw = sorted(r.p_value for r in rows)
    assert min(r.p_holm for r in rows) == pytest.approx(min(1.0, 3 * raw[0]))
    table = to_markdown(rows)
    assert table.splitlines()[2].startswith("| all | RR@10 | 5 | 0.6000 | 0.7000 | +0.1000 |")


def test_query_slices_from_metadata(tmp_path: Path) -> None:
    path = tmp_path / "queries.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in [
        {"_id": "a", "text": "x", "metadata": {"domain": "medical"}},
        {"_id": "b", "text": "y", "metadata": {"domain": "legal"}},
        {"_id": "c", "text": "z"}]), encoding="utf-8")
    assert query_slices(path) == {"legal": {"b"}, "medical": {"a"}}


def test_the_delta_script_holm_adjusts_over_every_tuned_block(capsys) -> None:
    """scripts/finetune_delta.py with two tuned embedders: one labelled block each, Holm over
    the whole table (so no adjusted p is below its raw p, and the family is all rows)."""
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("finetune_delta",
                                                  ROOT / "scripts" / "finetune_delta.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    golden = ROOT / "tests" / "golden" / "finetune.json"
    assert module.main([str(golden), "--base", "m3e-small", "--tuned", "m3e-medical",
                        "m3e-small", "--slice-key", "", "--metrics", "RR@10"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| variant | slice | metric |") and len(lines) == 4
    tuned, same = (line.split(" | ") for line in lines[2:])
    assert tuned[0] == "| m3e-medical" and same[0] == "| m3e-small"
    assert float(same[6]) == 0.0 and float(same[8]) == 1.0  # a model against itself: Δ 0, p 1
    raw, adjusted = float(tuned[8]), float(tuned[9].rstrip(" |"))
    assert adjusted == pytest.approx(min(1.0, 2 * raw), abs=1e-4)  # Holm over 2 rows, smallest p
