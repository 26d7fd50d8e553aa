"""A warm re-run as CI starts it: every vector cached, so no model loads and torch never imports."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.benchmarks.warm import run_probed

from tests.helpers.small_data import small_domain

TIMING_KEYS = ("load_s", "model_loaded")


def _comparable(result: dict) -> dict:
    """results.json without what differs by design: timings, encode counters, load markers."""
    embedders = {k: {f: v for f, v in e.items() if f not in TIMING_KEYS}
                 for k, e in result["embedders"].items()}
    return {"metrics": result["metrics"], "per_query": result["per_query"],
            "datasets": result["datasets"], "params": result["params"], "embedders": embedders}


@pytest.mark.slow
def test_a_fully_cached_rerun_never_loads_the_model(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: warm
embedders:
  - {{id: minilm, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2",
      max_seq_length: 128, batch_size: 32}}
datasets:
  - {{id: domain, format: beir, path: "{small_domain(tmp_path / 'domain')}", split: test}}
tiers:
  retrieval: {{metrics: [nDCG@10, RR@10], top_k: 20}}
""", encoding="utf-8")
    runs = []
    for name in ("cold", "warm"):
        probed = run_probed(["run", str(suite), "--out", str(tmp_path / name), "-q",
                             "--threads", "2", "--cache-dir", str(tmp_path / "cache")],
                            tmp_path / f"{name}.json")
        assert probed.returncode == 0, probed.stderr
        runs.append((probed, json.loads((tmp_path / name / "results.json").read_text())))
    (cold_p, cold), (warm_p, warm) = runs
    assert "torch" in cold_p.imported and cold["embedders"]["minilm"]["model_loaded"] is True
    assert warm["embedders"]["minilm"]["model_loaded"] is False
    assert not {"torch", "transformers", "sentence_transformers"} & set(warm_p.imported)
    assert warm["timings"]["encode_computed"] == 0
    assert _comparable(warm) == _comparable(cold)
    trec = Path("runs") / "minilm__domain.trec"
    assert (tmp_path / "warm" / trec).read_bytes() == (tmp_path / "cold" / trec).read_bytes()
