"""The space-map tier: items from intent, dataset and pair sources; points saved as data."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import load_beir
from embedgate.infra.errors import InputError
from embedgate.tiers.space_map.sources import from_collection, from_pairs
from embedgate.tiers.space_map import tier as space_map

from tests.conftest import FIXTURES, write_beir
from tests.helpers.intents import loaded_suite, write_csv
from tests.fakes.keyword_embedder import KeywordEmbedder

CORPUS = [{"_id": "d1", "text": "red apples"}, {"_id": "d2", "text": "green apples"},
          {"_id": "d3", "text": "fast cars"}, {"_id": "d4", "text": "slow boats"}]
QUERIES = [{"_id": "q1", "text": "apples"}, {"_id": "q2", "text": "green apples?"},
           {"_id": "q3", "text": "cars"}]
# d1 is relevant to q1 and q2, so q1, q2, d1, d2 form one linked component; q3-d3 another.
QRELS = [("q1", "d1", 1), ("q2", "d1", 1), ("q2", "d2", 2), ("q3", "d3", 1), ("q3", "d4", 0)]
PAIRS = ("group\tanchor\tcandidate\tlabel\tdomain\tlanguage\n"
         "g1\tred apples\tcrimson apples\tsynonym\tfood\ten\n"
         "g1\tred apples\tcars\tunrelated\tfood\ten\n"
         "g2\tfast cars\tquick cars\tsynonym\tauto\ten\n"
         "g2\tfast cars\tspeedy cars\ttranslation\tauto\ten\n"
         "g2\tfast cars\tslow cars\trelated\tauto\ten\n")


@pytest.fixture
def suite(tmp_path: Path):
    write_beir(tmp_path / "beir", CORPUS, QUERIES, QRELS)
    intents = write_csv(tmp_path / "i.csv", [("pay bill", "pay"), ("pay now", "pay"),
                                             ("lost card", "lost"), ("card lost", "lost")])
    (tmp_path / "p.tsv").write_text(PAIRS, encoding="utf-8")
    return loaded_suite(tmp_path, f"""  space_map:
    sources:
      - {{id: intents, kind: intent, path: {intents}}}
      - {{id: beir, kind: dataset}}
      - {{id: syn, kind: pairs, path: p.tsv}}
""", datasets_yaml=f"[{{id: beir, path: {tmp_path / 'beir'}}}]")


def _prepare(loaded):
    from embedgate.run.runner import load_datasets

    params = loaded.suite.tiers.space_map
    return params, dict(space_map.prepare(params, loaded, load_datasets(loaded)))


def test_items_of_each_kind(suite) -> None:
    _, units = _prepare(suite)
    intents, beir, syn = units["intents"], units["beir"], units["syn"]
    assert intents.scored == {"label": ["pay", "pay", "lost", "lost"]}
    assert set(beir.ids) == {"q:q1", "q:q2", "q:q3", "d:d1", "d:d2", "d:d3"}  # d4 is rel 0
    comp = dict(zip(beir.ids, beir.scored["link"], strict=True))
    assert comp["q:q1"] == comp["q:q2"] == comp["d:d1"] == comp["d:d2"] != comp["q:q3"]
    assert comp["q:q3"] == comp["d:d3"]
    assert len(beir.links) == 4 and all(beir.roles[a] == "query" and beir.roles[b] == "passage"
                                        for a, b in beir.links)
    # Negatives are not drawn: g1 = anchor + 1 synonym, g2 = anchor + synonym + translation.
    assert sorted(zip(syn.ids, syn.texts, strict=True)) == [
        ("g1#0", "red apples"), ("g1#1", "crimson apples"), ("g2#0", "fast cars"),
        ("g2#1", "quick cars"), ("g2#2", "speedy cars")]


def test_run_saves_one_rounded_point_per_item_reproducibly(suite) -> None:
    params, units = _prepare(suite)
    emb = KeywordEmbedder()
    first = space_map.run(emb, units["beir"], params, RunContext(seed=3))
    assert sorted(emb.calls) == [(3, "passage"), (3, "query")]  # each role with its own role
    second = space_map.run(KeywordEmbedder(), units["beir"], params, RunContext(seed=3))
    assert first.details == second.details and first.metrics == second.metrics
    points = first.details["points"]
    assert len(points["x"]) == len(points["y"]) == len(points["id"]) == 6
    assert all(round(v, 4) == v for v in points["x"] + points["y"])
    assert first.details["links"] == [list(link) for link in units["beir"].links]
    assert first.details["labellings"]["role"].count("query") == 3
    json.dumps(first.details)  # plain JSON, ready for the report


def test_silhouettes_are_metric_rows_with_per_item_values(suite) -> None:
    params, units = _prepare(suite)
    result = space_map.run(KeywordEmbedder(), units["beir"], params, RunContext(seed=3))
    (row,) = result.metrics
    assert row.metric == "silhouette_link" and row.higher_is_better and row.n_queries == 6
    (pq,) = result.per_query
    assert set(pq.values) == set(units["beir"].ids)
    assert np.mean(list(pq.values.values())) == pytest.approx(row.value)
    sil = result.details["silhouette"]
    assert sil["role"]["higher_is_better"] is None  # descriptive only: no metric row
    assert "cosine" in sil["link"]["space"] and "full" in sil["link"]["space"]


def test_max_points_draws_the_same_whole_units_every_time(tmp_path: Path) -> None:
    col = load_beir("b", write_beir(tmp_path / "b", CORPUS, QUERIES, QRELS), "test")
    draws = {tuple(from_collection(col, 3, np.random.default_rng(s)).ids) for s in (1, 1)}
    (ids,) = draws
    assert len(ids) <= 3
    queries = [i for i in ids if i.startswith("q:")]
    assert queries  # whole units: every drawn query comes with all its relevant passages
    with pytest.raises(InputError, match="fits in max_points=1"):
        from_collection(col, 1, np.random.default_rng(0))


def test_pair_fixture_groups_and_bad_pair_file(tmp_path: Path) -> None:
    items = from_pairs("p", FIXTURES / "pairs" / "domain_pairs.tsv", 20000, np.random.default_rng(0))
    groups = set(items.scored["group"])
    assert len(groups) == items.meta["n_available"] >= 100  # every group drawn, whole
    assert all(items.scored["group"].count(g) >= 2 for g in groups)  # anchor + >= 1 positive
    bad = tmp_path / "bad.tsv"
    bad.write_text("group\tanchor\tcandidate\tlabel\tlanguage\n", encoding="utf-8")
    with pytest.raises(InputError, match=r'bad\.tsv:1: missing column "domain"'):
        from_pairs("p", bad, 100, np.random.default_rng(0))


def test_intent_source_through_the_tier(suite) -> None:
    params, units = _prepare(suite)
    result = space_map.run(KeywordEmbedder(), units["intents"], params, RunContext(seed=3))
    assert result.details["points"]["id"] == ["L2", "L3", "L4", "L5"]
    assert result.details["explained_variance_ratio"][0] > 0
    assert [m.metric for m in result.metrics] == ["silhouette_label"]
