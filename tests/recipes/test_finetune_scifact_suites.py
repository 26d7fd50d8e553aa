"""The committed SciFact fine-tune suites, checked on the real collection without training:
they validate, the leak guard passes them, and it would refuse the two claims SciFact's train
and test splits share verbatim if the recipe did not exclude them.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.infra.errors import InputError
from embedgate.recipes.data import load_training_data
from embedgate.run.leak import check_suite
from embedgate.recipes.recipe import load_recipe
from embedgate.run.runner import load_datasets, plan_jobs
from embedgate.suite import load_suite

from tests.conftest import ROOT, SCIFACT

pytestmark = pytest.mark.skipif(not SCIFACT.is_dir(),
                                reason="../shared/datasets/scifact is not present")
SUITES = [ROOT / "suites" / f"{name}.yaml" for name in
          ("finetune-scifact", "finetune-scifact-ablation", "finetune-scifact-m3e",
           "finetune-scifact-matryoshka")]
RECIPE = ROOT / "suites" / "recipes" / "minilm-scifact.yaml"


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.stem)
def test_suite_passes_the_leak_guard(path: Path) -> None:
    loaded = load_suite(path)
    datasets = load_datasets(loaded)
    check_suite(loaded, datasets, plan_jobs(loaded, datasets))  # raises on a leak


def test_training_data_is_scifact_train_minus_the_shared_claims() -> None:
    data = load_training_data(load_recipe(RECIPE))
    assert data.stats["queries_excluded"] == 2 and not {"1291", "871"} & set(data.queries)
    # 809 judged train claims, 2 excluded; 919 pairs before, each excluded claim had one.
    assert len(data.queries) == 807 and data.stats["pairs"] == 917
    assert len(data.doc_ids) == 5183  # no `where`: the whole corpus is the mining pool


def test_without_the_exclusion_the_leak_guard_names_both_claims(tmp_path: Path) -> None:
    text = RECIPE.read_text(encoding="utf-8")
    start = text.index("  exclude_queries:")
    recipe = tmp_path / "recipes" / "minilm-scifact.yaml"
    recipe.parent.mkdir()
    recipe.write_text(text[:start] + text[text.index("\n", start) + 1:], encoding="utf-8")
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITES[0].read_text(encoding="utf-8").replace(
        "../../shared/datasets/scifact", str(SCIFACT)), encoding="utf-8")
    recipe.write_text(recipe.read_text(encoding="utf-8").replace(
        "../../../shared/datasets/scifact", str(SCIFACT)), encoding="utf-8")
    loaded = load_suite(suite)
    datasets = load_datasets(loaded)
    with pytest.raises(InputError) as err:
        check_suite(loaded, datasets, plan_jobs(loaded, datasets))
    message = str(err.value)
    assert "2 queries" in message and "(same text as training query 1291)" in message
    assert "(same text as training query 871)" in message
