"""End-to-end runs of real packaged models through the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.results.schema import RunResult

from tests.conftest import FIXTURES


def _suite(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.slow
def test_m3e_small_on_fixtures_end_to_end(tmp_path: Path, capsys) -> None:
    suite = _suite(tmp_path, f"""name: e2e
seed: 1
embedders:
  - {{id: m3e, kind: sentence-transformers, model: "packaged:m3e-small", batch_size: 64}}
datasets:
  - {{id: domain, format: beir, path: "{FIXTURES / 'domain'}", split: test}}
tiers:
  retrieval: {{metrics: [nDCG@10, RR@10, R@5], top_k: 50}}
""")
    out = tmp_path / "out"
    assert main(["run", str(suite), "--out", str(out), "-q", "--threads", "2"]) == 0
    result = RunResult.load(out / "results.json")
    ndcg = result.metric("m3e", "retrieval", "domain", "nDCG@10")
    assert ndcg is not None and 0.3 < ndcg.value <= 1.0
    assert ndcg.n_queries == result.datasets["domain"]["n_queries_evaluated"] >= 60
    values = result.values("m3e", "retrieval", "domain", "nDCG@10")
    assert values is not None and len(values) == ndcg.n_queries
    assert sum(values.values()) / len(values) == pytest.approx(ndcg.value)
    prov = result.provenance
    assert prov["threads"] == 2 and prov["packages"]["sentence-transformers"]
    assert len(result.embedders["m3e"]["weights_sha256"]) == 64
    assert (out / "runs" / "m3e__domain.trec").stat().st_size > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "nDCG@10" in html and "m3e" in html
    assert json.loads((out / "results.json").read_text())["schema_version"] == "1.0"


# The SciFact reproduction (nDCG@10 = 0.6451) runs once, as `embedgate selfcheck`, in
# tests/cli/test_selfcheck.py (same configuration as suites/scifact-minilm.yaml; a test there
# keeps the two in step).
