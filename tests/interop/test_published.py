"""Published MTEB figures as reference rows of a bake-off: shown, ranked, never tested."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from embedgate.cli.entry import main
from embedgate.infra.errors import InputError
from embedgate.interop.published import published_runs
from embedgate.judge.compare import PUBLISHED_NOTE, compare
from embedgate.report.markdown import to_markdown
from tests.helpers.interop import SCORES, save, scifact_run

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
REVISION = "8b3219a92973c328a8e22fadcfa821b5dc75636a"


def published_folder(root: Path) -> Path:
    """all-MiniLM-L6-v2's public SciFact figure (nDCG@10 0.6451) in the results-repo layout."""
    folder = root / "results" / MINILM.replace("/", "__") / REVISION
    folder.mkdir(parents=True)
    subset = {"ndcg_at_10": 0.6451, "recall_at_100": 0.9333, "mrr_at_10": 0.6112,
              "main_score": 0.6451, "hf_subset": "default", "languages": ["eng-Latn"]}
    task = {"dataset_revision": "0228b52cf27578f30900b9e5271d331663a030d7",
            "task_name": "SciFact", "mteb_version": "1.12.41", "scores": {"test": [subset]},
            "evaluation_time": 12.3, "kg_co2_emissions": None}
    (folder / "SciFact.json").write_text(json.dumps(task), encoding="utf-8")
    (folder / "model_meta.json").write_text(json.dumps({"name": MINILM, "revision": REVISION}))
    return root


def test_the_fixture_is_a_real_mteb_task_result(tmp_path: Path) -> None:
    mteb_results = pytest.importorskip("mteb.results")
    path = published_folder(tmp_path) / "results" / MINILM.replace("/", "__") / REVISION
    loaded = mteb_results.TaskResult.from_disk(path / "SciFact.json")
    assert loaded.get_score() == 0.6451


def test_a_published_row_is_ranked_and_marked_but_not_tested(tmp_path: Path) -> None:
    better = {**SCORES, "nDCG@10": 0.70}
    runs = [("a", scifact_run(embedder="cand-a")), ("b", scifact_run(better, "cand-b"))]
    runs += published_runs([published_folder(tmp_path)], {})
    board = next(b for b in compare(runs, n_resamples=500).boards if b.metric == "nDCG@10")
    assert [(e.system, e.published) for e in board.entries] == [
        ("cand-b", False), ("cand-a", False), (f"{MINILM} (published)", True)]
    published = board.entries[2]
    assert published.value == 0.6451 and published.p_vs_best is None and published.group is None
    assert published.diff_to_best == pytest.approx(0.6451 - 0.70)
    # The two measured systems are still tested against each other; nothing against the row.
    assert [(c.a, c.b) for c in board.comparisons] == [("cand-b", "cand-a")]
    assert PUBLISHED_NOTE in board.conclusion and f"{MINILM} (published)" in board.conclusion
    assert "R@100" in {b.metric for b in compare(runs).boards}  # recall_at_100 maps too


def test_one_candidate_against_a_published_figure_names_no_winner(tmp_path: Path) -> None:
    runs = [("a", scifact_run())] + published_runs([published_folder(tmp_path)], {})
    board = next(b for b in compare(runs).boards if b.metric == "nDCG@10")
    assert board.winner is None and not board.comparisons
    assert board.conclusion.startswith(PUBLISHED_NOTE)
    md = to_markdown(compare(runs))
    assert "all-MiniLM-L6-v2 (published) | 0.645" in md and "no significance is claimed" in md


def test_compare_cli_with_published_and_a_task_mapping(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    results = save(scifact_run(dataset="sf"), tmp_path / "results.json")
    folder = published_folder(tmp_path / "pub")
    assert main(["compare", str(results), "--published", str(folder),
                 "--task", "sf=SciFact"]) == 0
    out = capsys.readouterr().out
    assert "### retrieval · sf · nDCG@10" in out and "(published)" in out


@pytest.mark.parametrize("content, expected", [
    ('{"task_name": "SciFact", "results": {}}', "unknown MTEB results schema"),
    ('{"scores": {"test": []}}', "unknown MTEB results schema (no task_name)"),
    ('{"task_name": "SciFact", "scores": {"dev": [{"main_score": 1}]}}', "no scores for split"),
    ("[1, 2]", "not a TaskResult object"),
])
def test_an_unknown_schema_is_one_line_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str) -> None:
    bad = tmp_path / "SciFact.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match="SciFact.json"):
        published_runs([bad], {})
    results = save(scifact_run(), tmp_path / "results.json")
    assert main(["compare", str(results), "--published", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and str(bad) in err and "\n" not in err


def test_a_suite_names_published_results_for_its_bake_off(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import FIXTURES

    published_folder(tmp_path / "pub")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: published-bakeoff
embedders: [{{id: bm25, kind: bm25, latency_queries: 0}}]
datasets: [{{id: domain, path: {FIXTURES / 'domain'}}}]
tiers: {{retrieval: {{metrics: [nDCG@10, R@100]}}}}
published:
  - {{path: pub, tasks: {{domain: SciFact}}}}
""", encoding="utf-8")
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "-q"]) == 0
    board = (tmp_path / "out" / "compare.md").read_text()
    assert f"| {MINILM} (published) | 0.645" in board and "no significance is claimed" in board
    (tmp_path / "pub" / "results" / MINILM.replace("/", "__") / REVISION / "SciFact.json"
     ).write_text('{"task_name": "SciFact"}')
    assert main(["run", str(suite), "--out", str(tmp_path / "out2"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "unknown MTEB results schema" in err and "(published at " in err
    assert not (tmp_path / "out2" / "results.json").exists()


def test_the_pre_1_11_flat_shape_is_read(tmp_path: Path) -> None:
    old = tmp_path / "SciFact.json"
    old.write_text(json.dumps({"mteb_dataset_name": "SciFact", "mteb_version": "1.0.2",
                               "test": {"ndcg_at_10": 0.6451, "recall_at_100": 0.9333,
                                        "evaluation_time": 8.1}}))
    [(_, run)] = published_runs([old], {})
    assert {(r.dataset, r.metric): r.value for r in run.metrics} == {
        ("scifact", "nDCG@10"): 0.6451, ("scifact", "R@100"): 0.9333}


def test_a_task_that_matches_no_dataset_is_named(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    results = save(scifact_run(dataset="sf"), tmp_path / "results.json")
    folder = published_folder(tmp_path / "pub")
    assert main(["compare", str(results), "--published", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "SciFact.json: MTEB task(s) SciFact match no dataset here (sf)" in err
    assert "--task DATASET=TaskName" in err
