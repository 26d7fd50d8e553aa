"""`embedgate export`: MTEB's results layout loads back in the real `mteb` with the same
scores; Hugging Face model-card metadata parses with huggingface_hub; nothing half-written."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from embedgate.cli.entry import main
from embedgate.interop.names import embedgate_metric, mteb_key
from tests.helpers.interop import SCORES, save, scifact_run

mteb = pytest.importorskip("mteb")


def _export(tmp_path: Path, fmt: str, *extra: str) -> Path:
    results = save(scifact_run(), tmp_path / "results.json")
    out = tmp_path / f"out-{fmt}"
    assert main(["export", str(results), "--format", fmt, str(out), *extra]) == 0
    return out


def test_mteb_round_trip_gives_the_same_scores(tmp_path: Path) -> None:
    out = _export(tmp_path, "mteb", "--language", "eng-Latn")
    folder = out / "results" / "org__candidate-small" / ("ab" * 6)
    assert sorted(p.name for p in folder.iterdir()) == ["SciFact.json", "model_meta.json"]
    # validate_and_filter checks the splits and subsets against MTEB's own SciFact task.
    loaded = mteb.ResultCache(out).load_results(tasks=["SciFact"], validate_and_filter=True)
    [model] = loaded.model_results
    assert (model.model_name, model.model_revision) == ("org/candidate-small", "ab" * 6)
    [task] = model.task_results
    assert task.task_name == "SciFact" and task.eval_splits == ["test"]
    assert task.get_score() == SCORES["nDCG@10"]  # MTEB's main score for SciFact
    subset = task.scores["test"][0]
    for metric, value in SCORES.items():
        key = mteb_key(metric)
        assert (key is None) == (metric == "Rprec")  # MTEB has no R-precision key
        if key:
            assert subset[key] == value and embedgate_metric(key) == metric
    from mteb.models.model_meta import ModelMeta

    meta = ModelMeta.model_validate(json.loads((folder / "model_meta.json").read_text()))
    assert meta.embed_dim == 384 and meta.revision == "ab" * 6


def test_hf_model_index_and_eval_results_parse(tmp_path: Path) -> None:
    from huggingface_hub import ModelCard
    from mteb._hf_integration.eval_result_model import HFEvalResults

    out = _export(tmp_path, "hf")
    card = ModelCard.load(out / "README.md")
    results = card.data.eval_results
    by_type = {r.metric_type: r.metric_value for r in results}
    assert by_type["ndcg_at_10"] == SCORES["nDCG@10"] and by_type["mrr_at_10"] == SCORES["RR@10"]
    assert {r.dataset_type for r in results} == {"mteb/scifact"}
    entries = HFEvalResults.model_validate(
        yaml.safe_load((out / ".eval_results" / "SciFact.yaml").read_text()))
    assert entries[0].value == pytest.approx(SCORES["nDCG@10"] * 100)
    assert entries[0].dataset.task_id == "SciFact_default_test"


def test_a_task_mapping_names_the_mteb_task(tmp_path: Path) -> None:
    out = _export(tmp_path, "mteb", "--task", "scifact=MyPrivateSciFact", "--model", "me/m",
                  "--language", "eng-Latn")
    assert (out / "results" / "me__m" / ("ab" * 6) / "MyPrivateSciFact.json").is_file()


def test_bad_export_is_one_line_and_writes_nothing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    no_ndcg = scifact_run({"RR@10": 0.5})
    results = save(no_ndcg, tmp_path / "results.json")
    out = tmp_path / "out"
    assert main(["export", str(results), "--format", "mteb", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no nDCG@10" in err and "\n" not in err
    assert not out.exists() and not list(tmp_path.glob(".out.*"))  # no temp folder left
    (out / "x").mkdir(parents=True)
    good = save(scifact_run(), tmp_path / "good.json")
    assert main(["export", str(good), "--format", "mteb", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["export", str(good), "--format", "mteb", str(tmp_path / "o"), "--task", "x"]) == 2
    assert "DATASET=TaskName" in capsys.readouterr().err


def test_each_embedder_of_a_bake_off_gets_its_model_folder(tmp_path: Path) -> None:
    golden = Path(__file__).resolve().parents[1] / "golden" / "pass.json"
    out = tmp_path / "out"
    assert main(["export", str(golden), "--format", "mteb", str(out)]) == 2  # language?
    assert not out.exists()
    assert main(["export", str(golden), "--format", "mteb", str(out),
                 "--language", "cmn-Hans"]) == 0
    loaded = mteb.ResultCache(out).load_results()
    scores = {m.model_name: m.task_results[0].get_score() for m in loaded.model_results}
    # the golden file's nDCG@10 rows, under each embedder's model name
    assert scores == pytest.approx({"m3e-small": 0.74, "all-MiniLM-L6-v2": 0.375})
    assert main(["export", str(golden), "--format", "mteb", str(tmp_path / "o2"),
                 "--model", "org/one"]) == 2  # one name for two models: refused
