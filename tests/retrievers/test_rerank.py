"""`kind: rerank`: the head is reordered by the cross-encoder and the first stage's tail
follows; the /v1/rerank client and `serve-rerank`'s server agree over real loopback HTTP;
bad answers and bad specs fail with one clear line."""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from embedgate.cli.entry import main
from embedgate.embedders.base import Ranking
from embedgate.infra.errors import InfraError, InputError
from embedgate.retrievers.rerank import _merge
from embedgate.retrievers.scorers import EndpointScorer
from embedgate.retrievers.serve_rerank import RerankServer
from embedgate.suite import RerankEndpointSpec, RerankSpec, load_suite

from tests.conftest import FIXTURES, ROOT, install_example_plugin
from tests.helpers.trec import ranked_docs


def overlap(query: str, documents: Sequence[str]) -> np.ndarray:
    """A transparent relevance score: shared lower-cased words and CJK characters."""
    def units(text: str) -> set[str]:
        return set(text.lower().split()) | {c for c in text if "\u4e00" <= c <= "\u9fff"}
    q = units(query)
    return np.array([len(q & units(d)) for d in documents], dtype=np.float32)


@pytest.fixture
def server() -> Iterator[RerankServer]:
    with RerankServer(overlap, "overlap", api_key="s3cret") as srv:
        yield srv


def test_merge_reorders_the_head_and_keeps_the_tail_below() -> None:
    first = Ranking(np.array([[0.9, 0.8, 0.7, 0.6, 0.5]], np.float32),
                    np.array([[4, 3, 2, 1, 0]], np.int64))
    scores, idx = _merge(first, [[4, 3, 2]], [np.array([0.1, 0.9, 0.5], np.float32)], top_k=5)
    assert idx.tolist() == [[3, 2, 4, 1, 0]]  # head by cross-encoder score, tail in order
    assert list(scores[0]) == sorted(scores[0], reverse=True) and scores[0][3] < 0.1


def test_client_and_server_speak_v1_rerank(server: RerankServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RERANK_KEY", "s3cret")
    spec = RerankEndpointSpec(base_url=server.base_url, model="overlap", api_key_env="RERANK_KEY")
    scorer = EndpointScorer(spec)
    docs = ["heart failure", "force majeure clause", "heart attack heart"]
    got = scorer.score_many(["heart attack", "force"], [docs, docs[:1]])
    assert got[0].tolist() == overlap("heart attack", docs).tolist()  # by index, not rank
    assert got[1].tolist() == [0.0]
    assert "s3cret" not in json.dumps(scorer.description)


def test_a_wrong_key_and_a_bad_answer_are_one_clear_error(server: RerankServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RERANK_KEY", "wrong")
    spec = RerankEndpointSpec(base_url=server.base_url, model="overlap", api_key_env="RERANK_KEY",
                              max_retries=0)
    with pytest.raises(Exception) as err:
        EndpointScorer(spec).score("q", ["d"])
    assert "401" in str(err.value) and "wrong" not in str(err.value)
    monkeypatch.setenv("RERANK_KEY", "s3cret")
    server.rerank = lambda body: {"results": [{"index": 0, "relevance_score": 1.0}]}  # type: ignore[method-assign]
    with pytest.raises(InfraError, match="must hold 2 results"):  # garbage from a server: exit 4
        EndpointScorer(spec).score("q", ["a", "b"])
    server.rerank = lambda body: {"results": [{"index": 0, "relevance_score": 1.0},  # type: ignore[method-assign]
                                              {"index": 0, "relevance_score": 0.5}]}
    with pytest.raises(InfraError, match="bad or repeated index"):
        EndpointScorer(spec).score("q", ["a", "b"])
    # NaN/inf scores would silently reorder the ranking: refused where the reply is parsed
    server.rerank = lambda body: {"results": [{"index": 0, "relevance_score": float("nan")},  # type: ignore[method-assign]
                                              {"index": 1, "relevance_score": 0.5}]}
    with pytest.raises(InfraError, match="non-finite number NaN"):
        EndpointScorer(spec).score("q", ["a", "b"])


def test_a_rerank_suite_over_an_endpoint(tmp_path: Path, server: RerankServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    install_example_plugin(tmp_path / "site", monkeypatch)
    monkeypatch.setenv("RERANK_KEY", "s3cret")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: rerank-test
embedders:
  - {{id: grams, kind: char-ngram}}
  - id: rr
    kind: rerank
    first: grams
    depth: 5
    latency_queries: 3
    endpoint: {{base_url: "{server.base_url}", model: overlap, api_key_env: RERANK_KEY}}
datasets:
  - {{id: domain, path: {FIXTURES / 'domain'}}}
tiers:
  retrieval: {{metrics: [nDCG@10, R@50], top_k: 50}}
""", encoding="utf-8")
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "-q"]) == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    pipe = result["details"]["retrieval/rr/domain"]["pipeline"]
    n_queries = result["details"]["retrieval/rr/domain"]["n_queries"]
    assert pipe["counts"]["pairs_scored"] == 5 * n_queries
    assert {"grams:encode", "grams:search", "rr:rerank", "total"} <= set(pipe["stages"])
    assert set(pipe["inputs"]) == {"grams"}
    r50 = {r["embedder"]: r["value"] for r in result["metrics"] if r["metric"] == "R@50"}
    assert r50["rr"] == pytest.approx(r50["grams"])  # the tail keeps the first stage's recall
    assert "s3cret" not in (tmp_path / "out" / "results.json").read_text(encoding="utf-8")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    note = page.split("<h3>rr <span", 1)[1].split("</p>", 1)[0]
    assert f"reranker: overlap; {5 * n_queries:,} (query, passage) pairs scored" in note
    assert "s3cret" not in page
    # Per query, the reranked head is the first stage's top 5, sorted by the server's score.
    first, reranked = (ranked_docs(tmp_path / "out" / "runs" / f"{e}__domain.trec")
                       for e in ("grams", "rr"))
    texts = _jsonl(FIXTURES / "domain" / "corpus.jsonl")
    queries = _jsonl(FIXTURES / "domain" / "queries.jsonl")
    for qid, docs in reranked.items():
        assert set(docs[:5]) == set(first[qid][:5])
        scores = overlap(queries[qid], [texts[d] for d in docs[:5]]).tolist()
        assert scores == sorted(scores, reverse=True)


def _jsonl(path: Path) -> dict[str, str]:
    from embedgate.inputs.beir import passage_text

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {r["_id"]: passage_text(r) for r in rows}


def test_a_rerank_needs_exactly_one_scorer_and_a_known_first(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one of recipe"):
        RerankSpec.model_validate({"id": "r", "kind": "rerank", "first": "x"})
    path = tmp_path / "suite.yaml"
    path.write_text(f"""name: t
embedders:
  - {{id: bm25, kind: bm25}}
  - {{id: rr, kind: rerank, first: bm52, model: some/dir}}
datasets:
  - {{id: domain, path: {FIXTURES / 'domain'}}}
tiers:
  retrieval: {{metrics: [nDCG@10]}}
""", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_suite(path)
    assert 'suite.yaml:4: first: "bm52" is not an embedder of this suite other than a rerank ' \
           '(did you mean "bm25"?)' in str(err.value)


def test_serve_rerank_refuses_a_missing_model_and_an_embedding_recipe(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve-rerank", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model directory" in err[0] and "not found" in err[0]
    recipe = ROOT / "suites" / "recipes" / "m3e-medical.yaml"
    assert main(["serve-rerank", str(recipe)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not end in a cross_encoder stage" in err[0]
