"""A `cross_encoder` recipe trains a real reranker (m3e-small's transformer on a small budget:
suites/recipes/m3e-rerank-medical.yaml), `kind: rerank` judges it over BM25, and the same
model behind `/v1/rerank` (the server `embedgate serve-rerank` runs) ranks exactly as the
local one: what a team checks before it points a suite at a deployed reranker. The quality of
so small a reranker is not asserted."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.retrievers.scorers import LocalScorer
from embedgate.retrievers.serve_rerank import RerankServer
from embedgate.recipes.recipe import load_recipe
from embedgate.recipes.train import ensure_trained

from tests.conftest import FIXTURES, ROOT
from tests.helpers.trec import ranked_docs

RECIPE = ROOT / "suites" / "recipes" / "m3e-rerank-medical.yaml"


def _suite(recipe: Path, base_url: str) -> str:
    return f"""name: rerank-trained
seed: 13
embedders:
  - {{id: bm25, kind: bm25}}
  - {{id: local, kind: rerank, first: bm25, depth: 5, recipe: {recipe}, max_length: 96,
     latency_queries: 2}}
  - id: served
    kind: rerank
    first: bm25
    depth: 5
    latency_queries: 2
    endpoint: {{base_url: "{base_url}", model: tiny-rerank}}
datasets:
  - {{id: domain, path: {FIXTURES / 'domain'}, split: test}}
tiers:
  retrieval: {{metrics: [nDCG@10, R@50], top_k: 50}}
"""


@pytest.mark.slow
def test_a_trained_reranker_ranks_alike_locally_and_served(
        tmp_path: Path, pipelines_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(pipelines_cache))
    trained = ensure_trained(load_recipe(RECIPE), progress=False)
    record = trained.records[0]
    assert record["kind"] == "cross_encoder" and record["examples"]["positives"] > 0
    assert record["train_set_loss_after"] < record["train_set_loss_before"]
    scorer = LocalScorer(trained.path, 96, 32, {"name": "tiny-rerank"})
    suite = tmp_path / "suite.yaml"
    with RerankServer(scorer.score, "tiny-rerank") as server:
        suite.write_text(_suite(RECIPE, server.base_url), encoding="utf-8")
        assert main(["run", str(suite), "--out", str(tmp_path / "out"), "-q"]) == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    local = result["embedders"]["local"]["extra"]["reranker"]["recipe"]
    assert local["trained_this_run"] == []  # the suite found the model trained (and cached)
    runs = {e: ranked_docs(tmp_path / "out" / "runs" / f"{e}__domain.trec")
            for e in ("bm25", "local", "served")}
    assert runs["served"] == runs["local"]  # the endpoint serves the model judged locally
    # (that the head is the first stage's top `depth` is tested with a tie-free first stage in
    # test_rerank.py; BM25 ties at the cut-off make it ambiguous here)
    assert runs["local"] != runs["bm25"]  # the reranker reordered heads
    details = result["details"]["retrieval/local/domain"]
    assert details["pipeline"]["counts"]["pairs_scored"] <= 5 * details["n_queries"]
    assert set(details["pipeline"]["vs_best_input"]) == {"nDCG@10", "R@50"}
