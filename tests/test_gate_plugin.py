"""The pytest plugin (entry point pytest11), exercised with pytester."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.helpers.gates import tiny_beir

pytest_plugins = ["pytester"]

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with suites/golden.yaml (the golden gates) and the golden results beside."""
    for name in ("baseline", "pass", "regressed", "inconclusive", "incomparable"):
        shutil.copy(GOLDEN / f"{name}.json", pytester.path / f"{name}.json")
    text = (GOLDEN / "suite.yaml").read_text(encoding="utf-8")
    text = text.replace("baseline: baseline.json", "baseline: ../baseline.json")
    text = text.replace("../../fixtures/domain", str(FIXTURES / "domain"))
    (pytester.path / "suites").mkdir()
    (pytester.path / "suites" / "golden.yaml").write_text(text, encoding="utf-8")
    pytester.makeini("[pytest]\n")  # rootdir = the project, not this repository
    return pytester


def _run(project: pytest.Pytester, results: str, *args: str) -> pytest.RunResult:
    return project.runpytest("suites/", f"--embedgate-results={results}.json", *args)


def test_each_gate_is_an_item_and_verdicts_map_to_outcomes(project: pytest.Pytester) -> None:
    _run(project, "pass").assert_outcomes(passed=3)
    result = _run(project, "regressed")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*REGRESSED, value 0.565, threshold >= 0.6*",
        "*gate at *golden.yaml:14*",
        ("*REGRESSED, value 0.565, threshold current-baseline > -0.05 at 95% (bootstrap), "
         "baseline 0.735*95% CI of current-baseline [[]-0.195, -0.14[]]*"),
    ])


def test_inconclusive_fails_by_default_or_skips_on_request(project: pytest.Pytester) -> None:
    _run(project, "inconclusive").assert_outcomes(passed=2, failed=1)
    skipped = _run(project, "inconclusive", "--embedgate-inconclusive=skip", "-rs")
    skipped.assert_outcomes(passed=2, skipped=1)
    skipped.stdout.fnmatch_lines(["*INCONCLUSIVE*cannot tell*"])


def test_k_and_x_select_and_stop(project: pytest.Pytester) -> None:
    _run(project, "regressed", "-k", "noninferior").assert_outcomes(failed=1)
    _run(project, "regressed", "-k", "minilm").assert_outcomes(passed=1)  # the versus gate
    _run(project, "regressed", "-k", "nDCG and absolute").assert_outcomes(failed=1)
    _run(project, "regressed", "-x").assert_outcomes(failed=1)


def test_junitxml_carries_message_and_properties(project: pytest.Pytester) -> None:
    _run(project, "regressed", "--junitxml=out.xml")
    xml = (project.path / "out.xml").read_text(encoding="utf-8")
    assert 'name="m3e-ndcg-floor"' in xml and "threshold &gt;= 0.6" in xml
    assert '<property name="baseline" value="0.735"' in xml
    assert '<property name="status" value="regressed"' in xml


def test_incomparable_baseline_fails_every_gate_with_one_line(project: pytest.Pytester) -> None:
    result = _run(project, "incomparable")
    # Bad input in one gate makes the whole judgement bad input (exit 2 in the CLI).
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*InputError*datasets.domain.sha256 differs*"])
    assert "Traceback" not in result.stdout.str()


def test_results_directory_is_searched_by_suite_name(project: pytest.Pytester) -> None:
    target = project.path / "runs" / "golden"
    target.mkdir(parents=True)
    shutil.copy(project.path / "pass.json", target / "results.json")
    project.runpytest("suites/", "--embedgate-results=runs").assert_outcomes(passed=3)
    missing = project.runpytest("suites/", "--embedgate-results=nowhere")
    missing.assert_outcomes(failed=3)
    missing.stdout.fnmatch_lines(["*results file not found*"])


def test_bad_suite_is_a_collection_error_without_traceback(project: pytest.Pytester) -> None:
    (project.path / "suites" / "broken.yaml").write_text(
        "name: broken\nembedders: []\ntiers: {}\ngates:\n  - {embedder: x}\n", encoding="utf-8")
    result = project.runpytest("suites/broken.yaml", "--embedgate-results=pass.json")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*broken.yaml*embedders*"])


def test_only_suites_with_gates_in_suites_dirs_are_collected(project: pytest.Pytester) -> None:
    (project.path / "suites" / "nogates.yaml").write_text("name: x\n", encoding="utf-8")
    other = project.path / "elsewhere"
    other.mkdir()
    shutil.copy(project.path / "suites" / "golden.yaml", other / "golden.yaml")
    result = project.runpytest("--collect-only", "-q", "--embedgate-results=pass.json")
    result.stdout.fnmatch_lines(["suites/golden.yaml::m3e-ndcg-floor", "*3 tests collected*"])
    assert "elsewhere" not in result.stdout.str() and "nogates" not in result.stdout.str()


def test_project_test_run_does_not_collect_suites() -> None:
    """`make test` (testpaths = tests) must never pick up suites/*.yaml or run models."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", "tests/test_gate_plugin.py"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    assert ".yaml" not in out.stdout, out.stdout[-2000:]


@pytest.mark.slow
def test_plugin_runs_a_real_suite_when_no_results_are_given(pytester: pytest.Pytester) -> None:
    """m3e-small on a four-document collection: the gates run after a real model run."""
    data = tiny_beir(pytester.path / "tiny")
    (pytester.path / "suites").mkdir()
    (pytester.path / "suites" / "tiny.yaml").write_text(f"""name: tiny
seed: 1
threads: 2
embedders:
  - {{id: m3e, kind: sentence-transformers, model: "packaged:m3e-small"}}
datasets:
  - {{id: tiny, format: beir, path: "{data}"}}
tiers:
  retrieval: {{metrics: [nDCG@3, R@3], top_k: 4}}
gates:
  - {{name: recall-floor, embedder: m3e, tier: retrieval, metric: R@3, absolute: ">= 0.5"}}
  - {{name: impossible, embedder: m3e, tier: retrieval, metric: nDCG@3, absolute: "> 1"}}
""", encoding="utf-8")
    pytester.makeini("[pytest]\n")
    # A subprocess: torch and friends cannot be re-imported inside one process.
    result = pytester.runpytest_subprocess("suites/", f"--embedgate-out={pytester.path / 'out'}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*REGRESSED*threshold > 1*"])
    assert (pytester.path / "out" / "tiny" / "results.json").is_file()
