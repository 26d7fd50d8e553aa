"""The QA tier on constructed cases: max-chunk aggregation, attribution, metrics, cache."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedgate.suite import ExtractiveReaderSpec, load_suite
from embedgate.tiers.qa.gencache import FILE_NAME, GenerationCache, cache_file, cache_key
from embedgate.tiers.qa.normalize import contains
from embedgate.tiers.qa.readers.base import CachedGenerator, ReadRequest
from embedgate.tiers.qa.readers.extractive import ExtractiveReader, split_units
from embedgate.tiers.qa.retrieve import ChunkedCorpus, search_documents

from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.qa import CORPUS, EXPECTED, attributions, run_toy, toy_suite


def test_attribution_separates_retrieval_misses_from_reader_errors(tmp_path: Path) -> None:
    result = run_toy(toy_suite(tmp_path))
    rows = {r.metric: r for r in result.metrics}
    rows_by_q = {q["id"]: q for q in result.details["questions"]}
    assert attributions(result, "extractive") == EXPECTED
    assert rows_by_q["q2"]["retrieved"][0]["doc"] == "d3" and rows_by_q["q2"]["gold_rank"] is None
    q1 = rows_by_q["q1"]["readers"]["extractive"]
    assert q1["prediction"] == "The aspirin dose is 100 mg daily."
    assert rows_by_q["q3"]["readers"]["extractive"]["prediction"].startswith("How long")
    assert rows["answer@1"].value == pytest.approx(2 / 3)
    assert rows["gold_doc@1"].value == pytest.approx(2 / 3)
    assert rows["extractive:accuracy"].value == pytest.approx(1 / 3)
    assert rows["extractive:retrieval_miss"].value == pytest.approx(1 / 3)
    assert rows["extractive:reader_error"].value == pytest.approx(1 / 3)
    # Given the gold passage the reader answers q1 and q2 (one sentence) but still misses q3.
    assert rows["extractive:gold_accuracy"].value == pytest.approx(2 / 3)
    assert not rows["extractive:retrieval_miss"].higher_is_better
    assert rows["extractive:EM"].higher_is_better and rows["extractive:EM"].n_queries == 3
    pq = {p.metric: p.values for p in result.per_query}
    assert pq["extractive:reader_error"] == {"q1": 0.0, "q2": 0.0, "q3": 1.0}
    assert "max" in result.details["aggregation"]
    assert result.details["readers"]["extractive"]["attribution"] == {
        "correct": 1, "retrieval_miss": 1, "reader_error": 1}


def test_reader_filters_and_sample_limit_its_questions(tmp_path: Path) -> None:
    readers = "[{type: extractive}, {id: two, type: extractive, unit: clause, max_questions: 2}]"
    result = run_toy(toy_suite(tmp_path, readers))
    rows = {r.metric: r for r in result.metrics}
    assert rows["extractive:EM"].n_queries == 3 and rows["two:EM"].n_queries == 2
    assert rows["answer@1"].n_queries == 3


def test_document_score_is_its_best_chunk() -> None:
    # doc a: chunks 0 (weak) and 1 (strong); doc b: one middling chunk; doc c: weakest.
    corpus = ChunkedCorpus(doc_ids=["a", "b", "c"], texts=["a0", "a1", "b0", "c0"],
                           doc_of=np.array([0, 0, 1, 2]), max_chunks_per_doc=2, n_docs_empty=0)
    angles = np.radians([80, 10, 40, 85])
    chunks = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    query = np.array([[1.0, 0.0]], dtype=np.float32)
    [hits] = search_documents(corpus, chunks, query, top_k=2)
    assert [(h.doc, h.chunk) for h in hits] == [("a", 1), ("b", 2)]
    assert hits[0].score == pytest.approx(np.cos(np.radians(10)), abs=1e-6)


def test_generation_cache_persists_and_deduplicates(tmp_path: Path) -> None:
    path = tmp_path / "gen.sqlite"
    calls: list[int] = []

    def generate(prompts: list) -> list[str]:
        calls.append(len(prompts))
        return [f"answer to {p[0]['content']}" for p in prompts]

    prompts = [[{"role": "user", "content": c}] for c in ("a", "b", "a")]
    first = CachedGenerator("r", "fp1", GenerationCache(path)).run(prompts, generate)
    assert first == ["answer to a", "answer to b", "answer to a"] and calls == [2]
    again = GenerationCache(path)  # a new run: answers come from disk
    assert CachedGenerator("r", "fp1", again).run(prompts, generate) == first
    assert calls == [2] and again.hits == 3
    CachedGenerator("r", "fp2", GenerationCache(path)).run(prompts[:1], generate)
    assert calls == [2, 1]  # another fingerprint is another reader: no false hit
    assert cache_key("fp1", prompts[0]) != cache_key("fp1", prompts[1])


def test_unwritable_cache_degrades_to_memory(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = GenerationCache(blocker / "gen.sqlite")
    cache.put("k", "r", "v")
    assert cache.get("k") == "v" and cache.stats()["path"] is None
    assert "unusable" in caplog.text


def test_cache_file_follows_the_embedding_cache_rules(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    suite = toy_suite(tmp_path)
    text = suite.read_text(encoding="utf-8")
    monkeypatch.delenv("EMBEDGATE_CACHE_DIR", raising=False)
    suite.write_text(text + "cache: {dir: gen-cache}\n", encoding="utf-8")
    assert cache_file(load_suite(suite)) == tmp_path / "gen-cache" / FILE_NAME
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "env"))
    assert cache_file(load_suite(suite)) == tmp_path / "env" / FILE_NAME
    suite.write_text(text + "cache: {enabled: false}\n", encoding="utf-8")
    assert cache_file(load_suite(suite)) is None


def test_a_reader_limited_to_fewer_passages_is_judged_on_what_it_read(tmp_path: Path) -> None:
    suite = toy_suite(tmp_path, "[{type: extractive}, {id: one, type: extractive, passages: 1}]")
    suite.write_text(suite.read_text(encoding="utf-8").replace("top_k: 1", "top_k: 3"),
                     encoding="utf-8")
    result = run_toy(suite)
    assert result.details["readers"]["one"]["passages"] == 1
    texts = {d["_id"]: d["text"] for d in CORPUS}
    for q in result.details["questions"]:
        first = texts[q["retrieved"][0]["doc"]]
        one, every = q["readers"]["one"], q["readers"]["extractive"]
        assert one["answer_in_passages"] == contains(first, q["gold"])
        assert every["answer_in_passages"] == q["answer_in_top_k"]
        assert one["prediction"] in first  # it never saw the other two passages
    # q2's gold document comes back at rank 2 or 3 at best: only the full reader can see it
    q2 = next(q for q in result.details["questions"] if q["id"] == "q2")
    assert q2["readers"]["one"]["attribution"] == "retrieval_miss"


def test_extractive_reader_splits_sentences_and_encodes_each_once() -> None:
    assert split_units("冠脉供血不足。可放射至左肩！Dose is 0.9 mg/kg. Max 90 mg.") == [
        "冠脉供血不足。", "可放射至左肩！", "Dose is 0.9 mg/kg.", "Max 90 mg."]
    assert split_units("首选饮食，必要时用胰岛素。", "clause") == ["首选饮食，", "必要时用胰岛素。"]
    reader = ExtractiveReader(ExtractiveReaderSpec(id="x", type="extractive"))
    embedder = KeywordEmbedder(dim=4096)
    passage = "The aspirin dose is 100 mg daily. Aspirin is old."
    requests = [ReadRequest("what is the aspirin dose", (passage,)),
                ReadRequest("is aspirin old", (passage, "Aspirin is old."))]
    answers = reader.answer(requests, embedder.encode)
    assert answers == ["The aspirin dose is 100 mg daily.", "Aspirin is old."]
    assert embedder.calls == [(2, "passage"), (2, "query")]  # 2 distinct sentences, not 5
