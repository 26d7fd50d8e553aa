"""A real model through `embedgate run` twice: the second run reads every vector from the cache."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.results.schema import RunResult

from tests.helpers.small_data import small_domain


@pytest.mark.slow
def test_cached_rerun_of_a_real_model_is_identical(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: cache-e2e
embedders:
  - {{id: minilm, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2",
      max_seq_length: 128, batch_size: 32, max_tokens_per_batch: 2048}}
datasets:
  - {{id: domain, format: beir, path: "{small_domain(tmp_path / 'domain')}", split: test}}
tiers:
  retrieval: {{metrics: [nDCG@10, RR@10], top_k: 20}}
""", encoding="utf-8")
    cache = tmp_path / "cache"
    runs = []
    for name in ("cold", "warm"):
        assert main(["run", str(suite), "--out", str(tmp_path / name), "-q", "--threads", "2",
                     "--cache-dir", str(cache)]) == 0
        runs.append(RunResult.load(tmp_path / name / "results.json"))
    cold, warm = runs
    assert [(m.metric, m.value) for m in warm.metrics] == [(m.metric, m.value) for m in cold.metrics]
    assert cold.per_query == warm.per_query
    enc_cold = cold.details["retrieval/minilm/domain"]["encode"]
    enc_warm = warm.details["retrieval/minilm/domain"]["encode"]
    assert enc_cold["computed"] > 0 and enc_cold["cache"] == "on"
    assert enc_warm["computed"] == 0 and enc_warm["cache_hits"] == enc_cold["computed"]
    assert warm.timings["encode_computed"] == 0 and warm.timings["encode_cache_hits"] > 0
    assert cold.embedders["minilm"]["extra"]["max_tokens_per_batch"] == 2048
    assert (tmp_path / "cold" / "runs" / "minilm__domain.trec").read_text() == \
        (tmp_path / "warm" / "runs" / "minilm__domain.trec").read_text()
