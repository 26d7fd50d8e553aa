"""`kind: hybrid` end to end (the example char-n-gram plugin + BM25 on the fixtures): the tuned weight is the
grid's best on the dev split, each input is scored beside the fusion, a fusion of one ranking
with itself is flagged as the weakest link, tiers that judge vectors skip retrieval systems,
and bad references fail at load with file:line."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.infra.errors import InputError
from embedgate.suite import load_suite

from tests.conftest import FIXTURES, install_example_plugin

SUITE = f"""name: hybrid-test
seed: 13
embedders:
  - {{id: kw, kind: char-ngram}}
  - {{id: kw-again, kind: char-ngram}}
  - {{id: bm25, kind: bm25, latency_queries: 4}}
  - {{id: rrf, kind: hybrid, of: [kw, bm25], latency_queries: 4}}
  - {{id: same, kind: hybrid, of: [kw, kw-again], latency_queries: 0}}
  - id: convex
    kind: hybrid
    of: [kw, bm25]
    fusion: convex
    tune: {{dataset: train, metric: nDCG@10, grid: [0.0, 0.25, 0.5, 0.75, 1.0]}}
datasets:
  - {{id: test, path: {FIXTURES / 'domain'}, split: test}}
  - {{id: train, path: {FIXTURES / 'domain'}, split: train}}
tiers:
  retrieval: {{datasets: [test], metrics: [nDCG@10, R@100], top_k: 100}}
  intrinsic: {{pairs: [{{id: p, type: tsv, path: {FIXTURES / 'pairs' / 'domain_pairs.tsv'}}}]}}
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("hybrid")
    with pytest.MonkeyPatch.context() as mp:
        install_example_plugin(tmp / "site", mp)
        (tmp / "suite.yaml").write_text(SUITE, encoding="utf-8")
        rc = main(["run", str(tmp / "suite.yaml"), "--out", str(tmp / "out"), "--no-cache",
                   "-q"])
        assert rc == 0
        yield json.loads((tmp / "out" / "results.json").read_text(encoding="utf-8"))


def _value(result: dict, embedder: str, metric: str) -> float:
    return next(r["value"] for r in result["metrics"] if r["embedder"] == embedder
                and r["metric"] == metric and r["tier"] == "retrieval")


def _pipeline(result: dict, embedder: str) -> dict:
    return result["details"][f"retrieval/{embedder}/test"]["pipeline"]


def test_each_input_is_scored_as_it_scores_alone(result: dict) -> None:
    inputs = _pipeline(result, "rrf")["inputs"]
    for name in ("kw", "bm25"):
        assert inputs[name]["nDCG@10"] == pytest.approx(_value(result, name, "nDCG@10"))


def test_the_tuned_weight_is_the_dev_grid_best(result: dict) -> None:
    settings = _pipeline(result, "convex")["settings"]
    grid = settings["tuning"]["grid"]
    assert set(grid) == {"0", "0.25", "0.5", "0.75", "1"}
    assert grid[f"{settings['weight']:g}"] == max(grid.values())
    assert settings["tuning"]["dataset"] == "train" and settings["tuning"]["n_queries"] > 0
    # weight 1 is the keyword embedder alone, 0 is BM25 alone (on the dev queries)
    assert len(set(grid.values())) > 1


def test_a_fusion_of_a_ranking_with_itself_is_the_weakest_link(result: dict) -> None:
    same = _pipeline(result, "same")
    assert same["weakest_link"] == ["nDCG@10", "R@100"]
    assert same["vs_best_input"]["nDCG@10"]["diff"] == pytest.approx(0.0, abs=1e-12)
    assert _value(result, "same", "nDCG@10") == pytest.approx(_value(result, "kw", "nDCG@10"))


def test_stage_latency_and_skipped_tiers(result: dict) -> None:
    stages = _pipeline(result, "rrf")["stages"]
    assert {"kw:encode", "kw:search", "bm25:search", "rrf:fuse", "total"} <= set(stages)
    assert stages["total"]["n"] == 4 and stages["total"]["p95"] >= stages["total"]["p50"] > 0
    assert result["embedders"]["bm25"]["skipped_tiers"] == ["intrinsic"]
    assert "skipped_tiers" not in result["embedders"]["kw"]
    assert {r["embedder"] for r in result["metrics"] if r["tier"] == "intrinsic"} == {
        "kw", "kw-again"}


@pytest.mark.parametrize("edit, message", [
    (("of: [kw, bm25]\n    fusion: convex", "of: [kw, bm2]\n    fusion: convex"),
     'suite.yaml:11: of: "bm2" is not an embedder of this suite other than a hybrid or rerank '
     '(did you mean "bm25"?)'),
    (("datasets: [test]", "datasets: [test, train]"),
     'suite.yaml:13: hybrid "convex" would be judged on "train", the dataset its weight is '
     "tuned on"),
    (("    tune: {dataset: train, metric: nDCG@10, grid: [0.0, 0.25, 0.5, 0.75, 1.0]}\n", ""),
     "suite.yaml:12: a convex hybrid needs exactly one of `weight:` (fixed) or `tune:`"),
    (("of: [kw, kw-again]", "of: [kw, rrf]"),
     'of: "rrf" is not an embedder of this suite other than a hybrid or rerank'),
])
def test_bad_hybrids_fail_at_load_with_the_line(tmp_path: Path, edit: tuple[str, str],
                                                message: str) -> None:
    old, new = edit
    assert old in SUITE
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE.replace(old, new), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_suite(path)
    assert message in str(err.value)


def test_bakeoff_and_report_flag_the_weakest_link(result: dict, tmp_path: Path) -> None:
    from embedgate.judge.compare import compare
    from embedgate.report.markdown import to_markdown
    from embedgate.report.render import render_file
    from embedgate.results.schema import RunResult

    run = RunResult.model_validate(result)
    report = compare([("run", run)])
    flagged = [w for w in report.weakest_links if w.startswith("same on test:")]
    assert flagged == ["same on test: not significantly better than its best input (kw) on "
                       "nDCG@10, R@100"]
    assert "**Weakest links**" in to_markdown(report)
    (tmp_path / "results.json").write_text(json.dumps(result), encoding="utf-8")
    render_file(tmp_path / "results.json", tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Pipelines: stage costs and the weakest link" in html
    assert "pipeline-versus-same" in html
    assert "not better: weakest link" in html
