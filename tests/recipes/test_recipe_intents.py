"""Recipes on labelled utterances (data.intents, loss batch_triplet): real training on a few
rows, the schema's pairing rules, and the leak guard over the intent tier's scored rows."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.infra.errors import InputError
from embedgate.recipes.data import load_training_data
from embedgate.run.leak import check_suite
from embedgate.recipes.recipe import Recipe, load_recipe
from embedgate.recipes.train import ensure_trained
from embedgate.run.runner import load_datasets, plan_jobs
from embedgate.suite import load_suite

ROWS = [("我卡里还有多少钱", "balance", "train"), ("查一下余额", "balance", "train"),
        ("帮我看看账户余额", "balance", "train"), ("余额怎么查", "balance", "test"),
        ("我的卡丢了", "card_loss", "train"), ("银行卡被偷了怎么挂失", "card_loss", "train"),
        ("卡找不到了先冻结", "card_loss", "train"), ("补办丢失的卡", "card_loss", "test")]

RECIPE = """name: tiny-intent
base: packaged:m3e-small
seed: 3
data: {intents: intents.csv, split: train}
stages:
  - {kind: supervised, loss: batch_triplet, margin: 0.3, lr: 1.0e-4, batch_size: 4, epochs: 2,
     warmup_ratio: 0, max_seq_length: 32}
"""

SUITE = """name: t
embedders:
  - {id: base, kind: sentence-transformers, model: packaged:m3e-small}
  - {id: tuned, kind: recipe, recipe: recipe.yaml}
tiers:
  intent:
    sources: [{id: bank, path: %s}]
    folds: 2
"""


def _write(root: Path, split: bool = True) -> Path:
    head = "text,label,split\n" if split else "text,label\n"
    body = "".join(f"{t},{lab},{s}\n" if split else f"{t},{lab}\n" for t, lab, s in ROWS)
    (root / "intents.csv").write_text(head + body, encoding="utf-8")
    (root / "recipe.yaml").write_text(RECIPE, encoding="utf-8")
    return root / "recipe.yaml"


def test_training_data_is_the_train_rows_with_labels(tmp_path: Path) -> None:
    data = load_training_data(load_recipe(_write(tmp_path)))
    assert sorted(data.queries.values()) == sorted(t for t, _, s in ROWS if s == "train")
    assert set(data.labels.values()) == {"balance", "card_loss"} and data.stats["utterances"] == 6
    assert data.pairs() == []


@pytest.mark.slow
def test_batch_triplet_training_lowers_the_loss(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    record = ensure_trained(load_recipe(_write(tmp_path)), progress=False).records[-1]
    assert record["loss"] == {"class": "BatchAllTripletLoss", "margin": 0.3, "distance": "cosine"}
    assert record["examples"] == {"utterances": 6, "labels": 2, "rows": 6}
    assert record["steps"] >= 2
    assert record["train_set_loss_after"] < record["train_set_loss_before"]


def test_a_file_without_a_split_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"recipe.yaml:4: intent file .* has no split column"):
        load_training_data(load_recipe(_write(tmp_path, split=False)))


@pytest.mark.parametrize("data, stage, message", [
    ({"intents": "i.csv"}, {"loss": "infonce"}, "labelled utterances"),
    ({"pairs": "p.tsv"}, {"loss": "batch_triplet"}, "batch_triplet needs data.intents"),
    ({"intents": "i.csv"}, {"loss": "batch_triplet", "batch_size": 5}, "even batch_size"),
    ({"intents": "i.csv", "where": {"a": "b"}}, {"loss": "batch_triplet"}, "select BEIR"),
])
def test_loss_and_data_must_fit(data: dict, stage: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Recipe.model_validate({"name": "r", "base": "b", "data": data,
                               "stages": [{"kind": "supervised", **stage}]})


def _check(root: Path, intent_file: str) -> None:
    path = root / "suite.yaml"
    path.write_text(SUITE % intent_file, encoding="utf-8")
    loaded = load_suite(path)
    datasets = load_datasets(loaded)
    check_suite(loaded, datasets, plan_jobs(loaded, datasets))


def test_the_leak_guard_reads_the_scored_intent_rows(tmp_path: Path) -> None:
    _write(tmp_path)
    _check(tmp_path, "intents.csv")  # only the test rows are scored: no training text among them
    cv = tmp_path / "cv.csv"  # the same utterances cross-validated: every row is scored
    cv.write_text("text,label\n" + "".join(f"{t},{lab}\n" for t, lab, _ in ROWS), encoding="utf-8")
    with pytest.raises(InputError) as err:
        _check(tmp_path, "cv.csv")
    message = str(err.value)
    assert 'would be judged on 6 queries of intent source "bank" (split every row, ' in message
    assert "(same text as training query" in message


def test_the_committed_intent_suite_and_split_fixture() -> None:
    import csv
    import importlib.util

    from tests.conftest import FIXTURES, ROOT

    spec = importlib.util.spec_from_file_location("make_split", ROOT / "scripts" / "make_intent_split.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with (FIXTURES / "intent" / "finance_zh.csv").open(encoding="utf-8", newline="") as fh:
        source = list(csv.DictReader(fh))
    with (FIXTURES / "intent" / "finance_zh_split.csv").open(encoding="utf-8", newline="") as fh:
        committed = list(csv.DictReader(fh))
    assert [(r["text"], r["label"]) for r in committed] == [(r["text"], r["label"]) for r in source]
    assert [r["split"] for r in committed] == module.split_rows(source, 13, 0.5)  # the script's output
    loaded = load_suite(ROOT / "suites" / "finetune-intent.yaml")
    datasets = load_datasets(loaded)
    check_suite(loaded, datasets, plan_jobs(loaded, datasets))
    data = load_training_data(load_recipe(ROOT / "suites" / "recipes" / "m3e-intent.yaml"))
    assert data.stats["utterances"] == 120 and data.stats["labels"] == 8
