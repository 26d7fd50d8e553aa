"""Hard-negative mining on a tiny corpus whose neighbours are known by construction.

The keyword embedder is a bag of words: cosine(query, doc) = shared words / sqrt(|q| |d|).
Query "a b c d" against
  pos  "a b c d e"  4/sqrt(20) = 0.894   (the positive)
  near "a b c d f"  0.894               (a twin of the positive: a likely false negative)
  d3   "a b c x"    3/4 = 0.75
  d2   "a b y z"    2/4 = 0.50
  d1   "a w v u"    1/4 = 0.25
  d0   "k l m n"    0
  jud  "a b c q"    0.75 but judged relevant (relevance 1): never a negative
"""
from __future__ import annotations

import numpy as np
import pytest

from embedgate.recipes.data import TrainingData
from embedgate.recipes.mining import mine
from embedgate.recipes.recipe import MiningSpec
from embedgate.algorithms.lexical import bm25_tokens
from embedgate.algorithms.lexical import normalise

from tests.fakes.keyword_embedder import KeywordEmbedder

DOCS = {"pos": "a b c d e", "near": "a b c d f", "d3": "a b c x", "d2": "a b y z",
        "d1": "a w v u", "d0": "k l m n", "jud": "a b c q"}


def _data() -> TrainingData:
    return TrainingData(queries={"q": "a b c d"}, positives={"q": ["pos"]},
                        doc_ids=list(DOCS), doc_texts=list(DOCS.values()), sha256="x",
                        judged={"q": {"pos", "jud"}})


EMB = KeywordEmbedder(dim=4096)  # wide enough that these 20 tokens do not collide


def test_keyword_cosines_are_as_constructed() -> None:
    q = EMB.encode(["a b c d"], "query")[0]
    d = EMB.encode(list(DOCS.values()), "passage")
    got = dict(zip(DOCS, np.round(d @ q, 3)))
    assert got == {"pos": 0.894, "near": 0.894, "d3": 0.75, "d2": 0.5, "d1": 0.25, "d0": 0.0,
                   "jud": 0.75}


def test_semantic_window_skips_positives_and_judged() -> None:
    spec = MiningSpec(semantic={"rank_window": (2, 4), "per_query": 3}, false_negative_ratio=2.0)
    result = mine(_data(), EMB, spec)
    # Non-positive ranking: near, d3, d2, d1, d0 ("jud" excluded) → ranks 2..4 = d3, d2, d1.
    assert [n.doc_id for n in result.negatives["q"]] == ["d3", "d2", "d1"]
    stats = result.stats["semantic"]
    assert (stats.mined, stats.kept, stats.dropped_false_negative) == (3, 3, 0)


def test_false_negative_guard_drops_the_twin_of_the_positive() -> None:
    spec = MiningSpec(semantic={"rank_window": (1, 3), "per_query": 2}, false_negative_ratio=0.95)
    result = mine(_data(), EMB, spec)
    # near (0.894 > 0.95 * 0.894) is dropped; d3 and d2 are kept.
    assert [n.doc_id for n in result.negatives["q"]] == ["d3", "d2"]
    stats = result.stats["semantic"]
    assert (stats.mined, stats.dropped_false_negative, stats.kept, stats.unused) == (3, 1, 2, 0)
    decisions = {c["doc_id"]: c["status"] for c in result.sample[0]["candidates"]}
    assert decisions["near"].startswith("dropped")
    # A looser guard lets the twin through.
    loose = mine(_data(), EMB, spec.model_copy(update={"false_negative_ratio": 1.5}))
    assert loose.negatives["q"][0].doc_id == "near"


def test_boundary_band_around_the_positive_score() -> None:
    spec = MiningSpec(boundary={"margin": 0.2, "per_query": 5}, false_negative_ratio=2.0)
    result = mine(_data(), EMB, spec)
    # |s - 0.894| <= 0.2: near (0.0) and d3 (0.144); d2 is 0.394 away.
    assert [n.doc_id for n in result.negatives["q"]] == ["near", "d3"]
    assert all(n.strategy == "boundary" for n in result.negatives["q"])


def test_lexical_bm25_on_chinese_characters() -> None:
    data = TrainingData(
        queries={"q": "心肌缺血症状"}, positives={"q": ["p"]},
        doc_ids=["p", "look", "far"], doc_texts=["冠状动脉供血不足的表现", "心肌炎的症状", "合同违约责任"],
        sha256="x")
    spec = MiningSpec(lexical={"top_k": 5, "per_query": 5}, false_negative_ratio=2.0)
    result = mine(data, EMB, spec)
    # "心肌炎的症状" shares 心, 肌, 症, 状, 心肌, 症状; the contract passage shares nothing.
    assert [n.doc_id for n in result.negatives["q"]] == ["look"]
    assert result.stats["lexical"].mined == 1


def test_strategies_do_not_take_the_same_passage_twice() -> None:
    spec = MiningSpec(semantic={"rank_window": (1, 2), "per_query": 2},
                      boundary={"margin": 0.2, "per_query": 2}, false_negative_ratio=2.0)
    result = mine(_data(), EMB, spec)
    ids = [n.doc_id for n in result.negatives["q"]]
    assert ids == ["near", "d3"] and len(set(ids)) == len(ids)
    assert result.stats["boundary"].duplicate == 2 and result.stats["boundary"].kept == 0
    summary = result.to_dict()
    assert summary["negatives_kept"] == 2 and summary["queries_without_negative"] == 0


def test_mining_is_deterministic() -> None:
    spec = MiningSpec(semantic={"rank_window": (1, 5), "per_query": 2},
                      lexical={"top_k": 5, "per_query": 1}, sample_size=1)
    assert mine(_data(), EMB, spec, seed=3).to_dict() == mine(_data(), EMB, spec, seed=3).to_dict()


def test_every_candidate_is_accounted_for() -> None:
    spec = MiningSpec(semantic={"rank_window": (1, 5), "per_query": 1},
                      lexical={"top_k": 5, "per_query": 1},
                      boundary={"margin": 1.0, "per_query": 1}, false_negative_ratio=0.95)
    for stats in mine(_data(), EMB, spec).stats.values():
        assert stats.mined == (stats.dropped_false_negative + stats.duplicate + stats.kept
                               + stats.unused)


@pytest.mark.parametrize("text,tokens", [
    ("心肌缺血", ["心", "肌", "缺", "血", "心肌", "肌缺", "缺血"]),
    ("Force Majeure, art. 180", ["force", "majeure", "art", "180"]),
    ("ECG心电图", ["ecg", "心", "电", "图", "心电", "电图"]),
])
def test_bm25_tokens(text: str, tokens: list[str]) -> None:
    assert bm25_tokens(text) == tokens


def test_normalise_ignores_width_case_spacing_and_punctuation() -> None:
    assert normalise("心肌缺血有哪些症状？") == normalise("心肌缺血 有哪些症状?")
    assert normalise("ＡＢＣ") == normalise("abc")
    assert normalise("心肌缺血") != normalise("心肌梗死")
