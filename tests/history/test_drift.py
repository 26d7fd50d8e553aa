"""A slow slide: every run passes the per-commit gate against the run before it, the drift
gate against the pinned first run fails (through the CLI, on a real SQLite store)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.judge import gating
from embedgate.suite import load_suite

GOLDEN = Path(__file__).parents[1] / "golden"
STEP = 0.006  # per run: under the per-commit margin of 0.01; 5 runs slide 0.03 > 0.02


def _run_file(tmp: Path, i: int) -> Path:
    """The golden run with m3e-small's nDCG@10 lowered by i steps (per query and overall)."""
    raw = json.loads((GOLDEN / "pass.json").read_text(encoding="utf-8"))
    raw["provenance"]["created_at"] = f"2026-12-0{i + 1}T00:00:00+00:00"
    raw["verdict"] = None
    for row in raw["metrics"]:
        if row["embedder"] == "m3e-small" and row["metric"] == "nDCG@10":
            row["value"] -= i * STEP
    for pq in raw["per_query"]:
        if pq["embedder"] == "m3e-small":
            pq["values"] = {q: v - i * STEP for q, v in pq["values"].items()}
    path = tmp / f"run{i}.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_a_slow_slide_passes_every_commit_gate_and_fails_the_drift_gate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text((GOLDEN / "suite.yaml").read_text(encoding="utf-8").split("gates:")[0]
                     .replace("../../fixtures", str(GOLDEN.parents[1] / "fixtures"))
                     + "gates:\n  - {name: step, embedder: m3e-small, tier: retrieval, "
                     "dataset: domain, metric: nDCG@10, max_drop: 0.01}\n", encoding="utf-8")
    loaded = load_suite(suite)
    store = tmp_path / "history.sqlite"
    runs = [_run_file(tmp_path, i) for i in range(6)]
    assert main(["history", "--store", str(store), "--import", str(runs[0])]) == 0
    capsys.readouterr()
    assert main(["history", "golden", "--store", str(store)]) == 0
    first_id = capsys.readouterr().out.split("runs:\n")[1].split()[0]
    assert main(["history", "golden", "--store", str(store), "--pin", first_id]) == 0
    for prev, cur in zip(runs, runs[1:]):
        from embedgate.results.schema import RunResult

        verdict = gating.plan(loaded, prev).judge(RunResult.load(cur))
        assert verdict.status == "pass", verdict.gates[0].message()
        assert main(["history", "--store", str(store), "--import", str(cur)]) == 0
    capsys.readouterr()
    assert main(["history", "--store", str(store), "--drift", str(runs[2])]) == 0
    assert main(["history", "--store", str(store), "--drift", str(runs[-1])]) == 1
    out = capsys.readouterr().out
    assert "drift m3e-small / retrieval / domain / nDCG@10: REGRESSED" in out
    assert "worse by +0.0300" in out
    assert "differ from the reference" not in out  # same data throughout: no data note
    assert main(["history", "golden", "--store", str(store)]) == 0
    table = capsys.readouterr().out
    assert "6 runs, oldest first" in table and "█" in table and "▁" in table
