"""The supervised stage's loss options, trained for real on m3e-small and a few pairs:
learnable τ moves and is recorded, GradCache and Matryoshka wrap it as asked, the training
log gives an ETA, and leaving an option at its default keeps the cache key unchanged.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from embedgate.recipes import store
from embedgate.recipes.recipe import Recipe, load_recipe
from embedgate.recipes.train import ensure_trained

from tests.recipes.test_recipe_train import write_recipe

pytestmark = pytest.mark.slow

STAGE = """  - kind: supervised
    temperature: 0.1
    lr: 1.0e-4
    batch_size: 4
    epochs: 1
    warmup_ratio: 0
    max_seq_length: 64
    learnable_temperature: true
    temperature_lr: 0.05
    mini_batch_size: 2
    matryoshka_dims: [512, 128]
"""


def _recipe(root: Path) -> Path:
    path = write_recipe(root)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("stages:")] + "stages:\n" + STAGE, encoding="utf-8")
    return path


def test_learnable_temperature_gradcache_matryoshka(tmp_path: Path, monkeypatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    caplog.set_level(logging.INFO, logger="embedgate")
    record = ensure_trained(load_recipe(_recipe(tmp_path)), progress=False).records[-1]
    loss = record["loss"]
    assert loss["class"] == "MatryoshkaLoss" and loss["matryoshka_dims"] == [512, 128]
    cached = loss["wraps"]
    assert cached["class"] == "CachedMultipleNegativesRankingLoss"
    assert cached["mini_batch_size"] == 2
    assert cached["wraps"]["class"] == "LearnableTemperatureMNRL"
    assert cached["wraps"]["learnable_temperature"] is True
    # 2 steps at lr 0.05 on log(1/τ): τ has moved off its start, and the record says where to.
    assert record["steps"] == 2 and abs(loss["temperature"] - 0.1) > 1e-3
    assert loss["temperature"] == pytest.approx(cached["wraps"]["temperature"])
    assert record["train_set_loss_after"] < record["train_set_loss_before"]
    etas = [r.getMessage() for r in caplog.records if "ETA" in r.getMessage()]
    assert etas and etas[-1].startswith("training: step 2/2 (100 %)")


def test_options_left_at_their_defaults_keep_the_cache_key(tmp_path: Path) -> None:
    raw = load_recipe(write_recipe(tmp_path)).recipe.model_dump(mode="json")
    sup = raw["stages"][1]
    explicit = {**sup, "learnable_temperature": False, "mini_batch_size": None,
                "matryoshka_dims": None}
    changed = {**sup, "learnable_temperature": True}
    keys = [store.stage_keys(Recipe.model_validate({**raw, "stages": [raw["stages"][0], s]}),
                             "data", "base")
            for s in (sup, explicit, changed)]
    assert keys[0] == keys[1] and keys[0][1] != keys[2][1] and keys[0][0] == keys[2][0]


@pytest.mark.parametrize("extra, message", [
    ({"mini_batch_size": 8}, "exceeds batch_size"),
    ({"matryoshka_dims": [64, 128]}, "largest first"),
    ({"loss": "triplet", "learnable_temperature": True,
      "negatives": {"semantic": {}}}, "apply to loss infonce"),
])
def test_bad_loss_options_are_refused(extra: dict, message: str) -> None:
    stage = {"kind": "supervised", "batch_size": 4, **extra}
    with pytest.raises(ValueError, match=message):
        Recipe.model_validate({"name": "r", "base": "b", "data": {"pairs": "p.tsv"},
                               "stages": [stage]})
