"""The committed vector-store suites: the fixtures one runs for real (m3e-small behind the
embedded PostgreSQL and in-process Qdrant), the SciFact ones validate."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.suite import PgvectorSpec, QdrantSpec, load_suite, sweep_variants

from tests.conftest import ROOT


@pytest.mark.slow
def test_vector_stores_quick_runs_every_setting(tmp_path: Path, pg_dsn: str) -> None:
    out = tmp_path / "out"
    assert main(["run", str(ROOT / "suites" / "vector-stores-quick.yaml"), "--out", str(out),
                 "-q"]) == 0
    result = json.loads((out / "results.json").read_text(encoding="utf-8"))
    ndcg = {r["embedder"]: r["value"] for r in result["metrics"] if r["metric"] == "nDCG@10"}
    assert set(ndcg) == {"m3e-small", "pg-exact", "pg-hnsw@ef10", "pg-hnsw@ef40",
                         "pg-hnsw@ef100", "qdrant-hnsw", "qdrant-int8@os1", "qdrant-int8@os2"}
    assert ndcg["pg-exact"] == pytest.approx(ndcg["m3e-small"], abs=1e-4)
    recall = {r["embedder"]: r["value"] for r in result["metrics"]
              if r["metric"] == "ANN-recall@100"}
    assert recall["pg-hnsw@ef10"] <= 0.1 + 1e-9 < recall["pg-hnsw@ef100"]
    assert "Vector stores: each setting against exact search" in (
        out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["vector-stores-scifact.yaml",
                                  "vector-stores-upgrade-scifact.yaml"])
def test_scifact_suites_validate(name: str) -> None:
    suite = load_suite(ROOT / "suites" / name).suite
    db = [s for s in suite.embedders if isinstance(s, PgvectorSpec | QdrantSpec)]
    rows = [v.id for s in suite.embedders for v in sweep_variants(s)]
    assert len(rows) == len(set(rows)) >= len(suite.embedders)
    assert all(s.dsn == "embedded" for s in db if isinstance(s, PgvectorSpec))
