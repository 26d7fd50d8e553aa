"""Training data of a recipe: BEIR qrels with a metadata filter, or a pairs TSV."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.infra.errors import InputError
from embedgate.recipes import examples
from embedgate.recipes.data import load_training_data
from embedgate.recipes.mining import MiningResult, Negative, StrategyStats
from embedgate.recipes.recipe import load_recipe

from tests.conftest import write_beir

CORPUS = [{"_id": "m1", "text": "med one", "metadata": {"domain": "medical"}},
          {"_id": "m2", "text": "med two", "metadata": {"domain": "medical"}},
          {"_id": "m3", "text": "med three", "metadata": {"domain": "medical"}},
          {"_id": "l1", "text": "law one", "metadata": {"domain": "legal"}}]
QUERIES = [{"_id": "qm", "text": "a medical question", "metadata": {"domain": "medical"}},
           {"_id": "ql", "text": "a legal question", "metadata": {"domain": "legal"}},
           {"_id": "qx", "text": "weakly judged", "metadata": {"domain": "medical"}}]


def _recipe(tmp_path: Path, data: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(f"name: r\nbase: packaged:m3e-small\ndata: {data}\n"
                    "stages: [{kind: supervised}]\n", encoding="utf-8")
    return path


def test_beir_split_with_where_and_min_relevance(tmp_path: Path) -> None:
    write_beir(tmp_path / "d", CORPUS, QUERIES,
               [("qm", "m2", 2), ("qm", "m1", 1), ("qm", "l1", 1), ("ql", "l1", 2), ("qx", "m3", 1)],
               "train")
    recipe = _recipe(tmp_path, "{beir: d, where: {domain: medical}, min_relevance: 2}")
    data = load_training_data(load_recipe(recipe))
    assert data.queries == {"qm": "a medical question"}  # ql: legal; qx: relevance 1 < 2
    assert data.positives == {"qm": ["m2"]}
    assert data.excluded("qm") == {"m1", "m2", "l1"}  # judged docs are never negatives
    # Pool: medical passages plus every judged one (l1 is judged for qm).
    assert data.doc_ids == ["m1", "m2", "m3", "l1"]
    assert data.source_dir == (tmp_path / "d").resolve()


def test_pairs_tsv(tmp_path: Path) -> None:
    (tmp_path / "pairs.tsv").write_text("query\tpositive\nq one\tp one\nq two\tp two\n"
                                        "q one\tp three\n", encoding="utf-8")
    data = load_training_data(load_recipe(_recipe(tmp_path, "{pairs: pairs.tsv}")))
    assert list(data.queries.values()) == ["q one", "q two"]
    assert [data.text(d) for d in data.positives["line2"]] == ["p one", "p three"]
    assert data.pairs() == [("line2", "p1"), ("line2", "p3"), ("line3", "p2")]


def test_pairs_tsv_bad_line(tmp_path: Path) -> None:
    (tmp_path / "pairs.tsv").write_text("q one\tp one\nonly one column\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"pairs.tsv:2: expected 'query<TAB>positive passage'"):
        load_training_data(load_recipe(_recipe(tmp_path, "{pairs: pairs.tsv}")))


def test_tuples_top_up_with_random_unjudged_negatives(tmp_path: Path) -> None:
    write_beir(tmp_path / "d", CORPUS, QUERIES, [("qm", "m1", 1), ("qx", "m3", 1)], "train")
    data = load_training_data(load_recipe(_recipe(tmp_path, "{beir: d}")))
    mined = MiningResult(negatives={"qm": [Negative("m2", "semantic", 0.5, 0.8),
                                           Negative("l1", "lexical", 0.4, 0.8)], "qx": []},
                         stats={"semantic": StrategyStats()})
    rows = examples.tuples(data, mined, seed=0)
    assert list(rows.columns) == ["anchor", "positive", "negative_1", "negative_2"]
    assert rows.notes == {"pairs": 2, "negatives_per_row": 2, "random_negatives": 2}
    qx = rows.columns["anchor"].index("weakly judged")
    fill = {rows.columns["negative_1"][qx], rows.columns["negative_2"][qx]}
    assert len(fill) == 2 and "med three" not in fill  # distinct, never the positive
