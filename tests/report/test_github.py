"""GitHub outputs: step summary table, the sticky comment's marker, annotation commands with
GitHub's escaping; `embedgate gate` writes them when $GITHUB_STEP_SUMMARY is set."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.judge import gating
from embedgate.report.github import MARKER, annotations, comment_markdown, summary_markdown
from embedgate.results.schema import RunResult
from embedgate.suite import load_suite

GOLDEN = Path(__file__).parents[1] / "golden"


def _judged(name: str) -> RunResult:
    loaded = load_suite(GOLDEN / "suite.yaml")
    result = RunResult.load(GOLDEN / f"{name}.json")
    return result.model_copy(update={"verdict": gating.plan(loaded).judge(result)})


def test_summary_comment_and_annotations_of_a_regressed_run() -> None:
    result = _judged("regressed")
    assert result.verdict is not None and result.verdict.status == "regressed"
    summary = summary_markdown(result, ["why: data unchanged"], "out/report.html")
    assert summary.startswith("## embedgate: golden — ❌ regressed")
    rows = [x for x in summary.splitlines() if x.startswith("| ") and "---" not in x][1:]
    assert len(rows) == len(result.verdict.gates)
    assert all(len(r.split(" | ")) == 6 for r in rows)
    assert "### What moved and why" in summary and "Report: `out/report.html`" in summary
    comment = comment_markdown(result, [], "r.html")
    assert comment.splitlines()[0] == MARKER and comment.count(MARKER) == 1
    notes = annotations(result)
    regressed = [g for g in result.verdict.gates if g.status == "regressed"]
    assert len([n for n in notes if n.startswith("::error ")]) == len(regressed)
    for note in notes:
        assert re.fullmatch(r"::(error|warning) file=[^,:]+,title=[^:]+::[^\n]+", note), note


def test_annotation_escaping_and_no_annotations_for_a_pass() -> None:
    result = _judged("regressed")
    gate = next(g for g in result.verdict.gates if g.status == "regressed")  # type: ignore[union-attr]
    gate.reason = "50% worse\nsecond line"
    note = [n for n in annotations(result) if n.startswith("::error")][0]
    assert "50%25 worse%0Asecond line" in note and "\n" not in note
    assert annotations(_judged("pass")) == []


def test_gate_writes_the_step_summary_and_comment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("suite.yaml", "baseline.json", "regressed.json"):
        shutil.copy(GOLDEN / name, tmp_path / name)
    step = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    code = main(["gate", str(tmp_path / "regressed.json"), "--gates", str(tmp_path / "suite.yaml")])
    assert code == 1
    assert "❌ regressed" in step.read_text(encoding="utf-8")
    assert (tmp_path / "pr-comment.md").read_text(encoding="utf-8").startswith(MARKER)
    assert "::error " in capsys.readouterr().out


def test_report_shows_why_when_a_gate_did_not_pass() -> None:
    from embedgate.report.render import render

    html = render(_judged("regressed"), RunResult.load(GOLDEN / "baseline.json"), "baseline.json")
    assert "Why the gated figures moved" in html and "attribution:" in html
    assert "Why the gated figures moved" not in render(_judged("pass"),
                                                       RunResult.load(GOLDEN / "baseline.json"))


def test_gitlab_code_quality_has_one_located_issue_per_failed_gate(tmp_path: Path) -> None:
    import json

    for name in ("suite.yaml", "baseline.json", "regressed.json"):
        shutil.copy(GOLDEN / name, tmp_path / name)
    out = tmp_path / "gl-code-quality.json"
    assert main(["gate", str(tmp_path / "regressed.json"), "--gates", str(tmp_path / "suite.yaml"),
                 "--gitlab-codequality", str(out)]) == 1
    issues = json.loads(out.read_text(encoding="utf-8"))
    verdict = _judged("regressed").verdict
    assert verdict is not None
    assert len(issues) == sum(g.status != "pass" for g in verdict.gates) > 0
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("major", "minor") and len(issue["fingerprint"]) == 64
        assert issue["location"]["path"].endswith("suite.yaml")
        assert issue["location"]["lines"]["begin"] > 1
