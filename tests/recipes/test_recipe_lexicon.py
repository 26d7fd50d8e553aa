"""Recipes on lexicon pairs (data.lexicon + exclude_pairs): the pairs, the held-apart groups,
and the leak guard over the intrinsic tier's anchors (training anchors and positives)."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.infra.errors import InputError
from embedgate.recipes.data import load_training_data
from embedgate.run.leak import check_suite
from embedgate.recipes.recipe import Recipe, load_recipe
from embedgate.run.runner import load_datasets, plan_jobs
from embedgate.suite import load_suite

HEADER = "group\tanchor\tcandidate\tlabel\tdomain\tlanguage\n"
TRAIN = [("g1", "心肌缺血", "冠状动脉供血不足", "synonym"), ("g1", "心肌缺血", "心肌炎", "related"),
         ("g2", "不可抗力", "Act of God", "translation"), ("g2", "不可抗力", "违约", "unrelated"),
         ("g3", "假释", "附条件提前释放", "synonym"), ("g3", "假释", "缓刑", "related")]
HELD = [("h1", "附条件提前释放", "假释", "synonym"), ("h1", "附条件提前释放", "减刑", "related")]

RECIPE = """name: lex
base: packaged:m3e-small
data:
  lexicon: {id: train, type: tsv, path: train.tsv}
  exclude_pairs: %s
stages: [{kind: supervised}]
"""

SUITE = """name: t
embedders:
  - {id: base, kind: sentence-transformers, model: packaged:m3e-small}
  - {id: tuned, kind: recipe, recipe: recipe.yaml}
tiers:
  intrinsic:
    pairs: [{id: held, type: tsv, path: held.tsv}]
"""


def _tsv(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    path.write_text(HEADER + "".join(f"{g}\t{a}\t{c}\t{lab}\tlegal\tzh\n" for g, a, c, lab in rows),
                    encoding="utf-8")


def _write(root: Path, exclude: str) -> Path:
    _tsv(root / "train.tsv", TRAIN)
    _tsv(root / "held.tsv", HELD)
    (root / "recipe.yaml").write_text(RECIPE % exclude, encoding="utf-8")
    (root / "suite.yaml").write_text(SUITE, encoding="utf-8")
    return root


def test_pairs_are_anchor_and_positive_candidates(tmp_path: Path) -> None:
    data = load_training_data(load_recipe(_write(tmp_path, "[]") / "recipe.yaml"))
    pairs = {(data.queries[q], data.text(d)) for q, d in data.pairs()}
    assert pairs == {("心肌缺血", "冠状动脉供血不足"), ("不可抗力", "Act of God"),
                     ("假释", "附条件提前释放")}  # related / unrelated candidates are not pairs
    assert data.stats["groups"] == 3 and data.stats["groups_held_apart"] == 0


def test_a_group_sharing_a_text_with_a_held_apart_set_is_left_out(tmp_path: Path) -> None:
    root = _write(tmp_path, "[{id: held, type: tsv, path: held.tsv}]")
    data = load_training_data(load_recipe(root / "recipe.yaml"))
    assert sorted(data.queries.values()) == ["不可抗力", "心肌缺血"]  # g3 shares 假释 with h1
    assert data.stats["groups_held_apart"] == 1
    loaded = load_suite(root / "suite.yaml")
    datasets = load_datasets(loaded)
    check_suite(loaded, datasets, plan_jobs(loaded, datasets))  # held apart: no leak


def test_the_leak_guard_refuses_an_anchor_trained_as_a_positive(tmp_path: Path) -> None:
    root = _write(tmp_path, "[]")
    loaded = load_suite(root / "suite.yaml")
    datasets = load_datasets(loaded)
    with pytest.raises(InputError) as err:
        check_suite(loaded, datasets, plan_jobs(loaded, datasets))
    message = str(err.value)
    assert 'on 1 query of intrinsic pair set "held"' in message
    assert 'h1 "附条件提前释放" (same text as training query g3/' in message


def test_exclude_pairs_needs_lexicon_data() -> None:
    with pytest.raises(ValueError, match="exclude_pairs holds pair sets apart"):
        Recipe.model_validate({"name": "r", "base": "b", "data": {
            "pairs": "p.tsv", "exclude_pairs": [{"id": "x", "type": "tsv", "path": "x.tsv"}]},
            "stages": [{"kind": "supervised"}]})


def test_the_committed_lexicon_suite_holds_its_pair_sets_apart() -> None:
    from tests.conftest import ROOT

    loaded = load_suite(ROOT / "suites" / "finetune-lexicon.yaml")
    datasets = load_datasets(loaded)
    check_suite(loaded, datasets, plan_jobs(loaded, datasets))  # Cilin and domain pairs held apart
    data = load_training_data(load_recipe(ROOT / "suites" / "recipes" / "m3e-cilin.yaml"))
    assert data.stats["groups_drawn"] == 3000 and 0 < data.stats["groups_held_apart"] < 3000
