"""Leak guard: a suite refuses to judge a recipe on queries it trains on (by id and by text)."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.suite import load_suite
from embedgate.recipes.leak import find_leaks
from embedgate.run.leak import check_suite
from embedgate.run.runner import load_datasets, plan_jobs

from tests.conftest import write_beir

CORPUS = [{"_id": f"d{i}", "text": f"passage number {i}"} for i in range(4)]
QUERIES = [{"_id": "tr1", "text": "What causes angina?"}, {"_id": "tr2", "text": "心肌缺血有哪些症状？"},
           {"_id": "te1", "text": "what causes  ANGINA"}, {"_id": "te2", "text": "a fresh question"}]

RECIPE = """name: r
base: packaged:m3e-small
data: {beir: data, split: train}
stages: [{kind: supervised}]
"""


def _suite(split: str, tier_embedders: str = "") -> str:
    return f"""name: leak
embedders:
  - id: base
    kind: sentence-transformers
    model: packaged:m3e-small
  - id: tuned
    kind: recipe
    recipe: recipe.yaml
datasets:
  - id: ds
    path: data
    split: {split}
tiers:
  retrieval:
    metrics: [nDCG@10]{tier_embedders}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_beir(tmp_path / "data", CORPUS, QUERIES, [("tr1", "d0", 1), ("tr2", "d1", 1)], "train")
    write_beir(tmp_path / "data", CORPUS, QUERIES, [("te1", "d0", 1), ("te2", "d2", 1)], "test")
    write_beir(tmp_path / "data", CORPUS, QUERIES, [("te2", "d2", 1)], "clean")
    (tmp_path / "recipe.yaml").write_text(RECIPE, encoding="utf-8")
    return tmp_path


def _run(folder: Path, suite: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = folder / "suite.yaml"
    path.write_text(suite, encoding="utf-8")
    code = main(["run", str(path), "--out", str(folder / "out"), "-q"])
    err = capsys.readouterr().err
    assert not (folder / "out" / "results.json").exists()
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return code, lines[0]


def test_find_leaks_by_id_and_normalised_text() -> None:
    train = {"tr1": "What causes angina?", "tr2": "心肌缺血有哪些症状？"}
    evaluated = {"tr2": "something else", "te1": "what causes  ANGINA", "te2": "心肌缺血 有哪些症状?",
                 "te3": "what causes angina pectoris"}
    leaks = {(lk.eval_qid, lk.by, lk.train_qid) for lk in find_leaks(train, evaluated)}
    assert leaks == {("tr2", "id", "tr2"), ("te1", "text", "tr1"), ("te2", "text", "tr2")}
    # Ids of another collection mean nothing: only the texts count there.
    other = {(lk.eval_qid, lk.by) for lk in find_leaks(train, evaluated, same_collection=False)}
    assert other == {("te1", "text"), ("te2", "text")}


def test_evaluating_on_the_training_split_is_refused(folder: Path, capsys) -> None:
    code, line = _run(folder, _suite("train"), capsys)
    assert code == 2 and 'embedder "tuned"' in line and "2 queries" in line
    assert "tr1 (same id)" in line and "tr2 (same id)" in line
    assert f"{folder / 'suite.yaml'}:8" in line


def test_a_reworded_copy_of_a_training_query_is_refused(folder: Path, capsys) -> None:
    code, line = _run(folder, _suite("test"), capsys)
    assert code == 2 and "1 query" in line
    assert 'te1 "what causes  ANGINA" (same text as training query tr1)' in line


def test_a_clean_split_passes_and_unjudged_tiers_are_not_checked(folder: Path) -> None:
    for suite in (_suite("clean"), _suite("train", "\n    embedders: [base]")):
        path = folder / "suite.yaml"
        path.write_text(suite, encoding="utf-8")
        loaded = load_suite(path)
        datasets = load_datasets(loaded)
        check_suite(loaded, datasets, plan_jobs(loaded, datasets))  # no InputError


def test_a_missing_recipe_file_names_the_suite_line(folder: Path, capsys) -> None:
    (folder / "recipe.yaml").unlink()
    code, line = _run(folder, _suite("clean"), capsys)
    assert code == 2 and "recipe.yaml: file not found" in line and "suite.yaml:8" in line
