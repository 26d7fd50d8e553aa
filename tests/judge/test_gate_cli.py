"""Exit codes and outputs of `embedgate gate`, `embedgate compare` and gated `embedgate run`."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from embedgate.cli.entry import main
from embedgate.results.schema import RunResult
from embedgate.results.verdict import Verdict

from tests.conftest import FIXTURES, ROOT
from tests.helpers.gates import tiny_beir

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SUITE = str(GOLDEN / "suite.yaml")


def _gate(name: str, *extra: str) -> int:
    return main(["gate", str(GOLDEN / f"{name}.json"), "--gates", SUITE, *extra])


@pytest.mark.parametrize("name,code", [("pass", 0), ("regressed", 1), ("inconclusive", 3),
                                       ("incomparable", 2)])
def test_gate_exit_codes(name: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert _gate(name) == code
    out, err = capsys.readouterr()
    if code == 2:
        assert err.count("\n") == 1 and "datasets.domain.sha256 differs" in err
        assert "Traceback" not in err
    else:
        status = {0: "pass", 1: "regressed", 3: "inconclusive"}[code]
        assert f"verdict: {status}" in out


def test_gate_writes_json_and_junit(tmp_path: Path) -> None:
    assert _gate("regressed", "--json", str(tmp_path / "v.json"),
                 "--junit", str(tmp_path / "v.xml")) == 1
    verdict = Verdict.model_validate_json((tmp_path / "v.json").read_text())
    assert verdict.status == "regressed" and len(verdict.gates) == 3
    root = ET.parse(tmp_path / "v.xml").getroot()
    failures = root.findall(".//failure")
    assert [f.get("type") for f in failures] == ["regressed", "regressed"]
    assert "value 0.565" in (failures[0].get("message") or "")


def test_gate_baseline_option_overrides_the_suite(tmp_path: Path) -> None:
    # Judged against regressed.json as the baseline, regressed.json is not worse than itself.
    assert _gate("regressed", "--baseline", str(GOLDEN / "regressed.json")) == 1  # floor 0.6
    verdict_path = tmp_path / "v.json"
    _gate("regressed", "--baseline", str(GOLDEN / "regressed.json"), "--json", str(verdict_path))
    gates = json.loads(verdict_path.read_text())["gates"]
    assert [g["status"] for g in gates] == ["regressed", "pass", "pass"]


def test_gate_finds_the_recorded_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # results record suite.file = tests/golden/suite.yaml
    assert main(["gate", str(GOLDEN / "pass.json")]) == 0


@pytest.mark.parametrize("args,message", [
    (["gate", "missing.json", "--gates", SUITE], "results file not found"),
    (["gate", str(GOLDEN / "pass.json")], "pass the gates with --gates"),
    (["gate", str(GOLDEN / "pass.json"), "--gates", SUITE, "--baseline", "nope.json"],
     "--baseline: baseline results nope.json not found"),
    (["compare", str(GOLDEN / "pass.json"), "--alpha", "2"],
         "argument --alpha: 2 is out of range; give a level > 0 and < 1"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_gate_refuses_a_suite_without_gates(tmp_path: Path, capsys) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text((GOLDEN / "suite.yaml").read_text().split("baseline:")[0].replace(
        "../../fixtures", str(FIXTURES)))
    assert main(["gate", str(GOLDEN / "pass.json"), "--gates", str(suite)]) == 2
    assert "has no gates" in capsys.readouterr().err


def test_compare_writes_three_outputs(tmp_path: Path, capsys) -> None:
    args = ["compare", str(GOLDEN / "baseline.json"), str(GOLDEN / "regressed.json"),
            "--n-resamples", "1000", "--md", str(tmp_path / "c.md"),
            "--junit", str(tmp_path / "c.xml"), "--json", str(tmp_path / "c.json")]
    assert main(args) == 0
    md = (tmp_path / "c.md").read_text()
    assert "**Winner: baseline:m3e-small**" in md
    assert ET.parse(tmp_path / "c.xml").getroot().find(".//testcase") is not None
    report = json.loads((tmp_path / "c.json").read_text())
    assert report["sources"]["regressed:minilm"] == "regressed, embedder minilm"


def test_run_refuses_an_incomparable_baseline_before_loading_models(tmp_path: Path,
                                                                     capsys) -> None:
    """The golden baseline's dataset hash is not the real fixtures': exit 2, nothing written."""
    suite = tmp_path / "suite.yaml"
    suite.write_text((GOLDEN / "suite.yaml").read_text()
                     .replace("../../fixtures", str(FIXTURES))
                     .replace("baseline: baseline.json", f"baseline: {GOLDEN / 'baseline.json'}"))
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "datasets.domain.sha256 differs" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_run_exits_with_the_verdict_and_saves_it(tmp_path: Path, capsys) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: gated
seed: 1
threads: 2
embedders:
  - {{id: m3e, kind: sentence-transformers, model: "packaged:m3e-small", batch_size: 64}}
datasets:
  - {{id: tiny, format: beir, path: "{tiny_beir(tmp_path / 'tiny')}"}}
tiers:
  retrieval: {{metrics: [nDCG@3], top_k: 4}}
gates:
  - {{name: floor, embedder: m3e, tier: retrieval, metric: nDCG@3, absolute: ">= 0.3"}}
  - {{name: ceiling, embedder: m3e, tier: retrieval, metric: nDCG@3, absolute: "< 0.3"}}
""")
    out = tmp_path / "out"
    assert main(["run", str(suite), "--out", str(out), "-q"]) == 1
    assert "verdict: regressed (1 pass, 1 regressed" in capsys.readouterr().out
    saved = RunResult.load(out / "results.json")
    assert saved.verdict is not None and saved.verdict.status == "regressed"
    assert [g.name for g in saved.verdict.gates] == ["floor", "ceiling"]
    # The same saved results, judged again from disk, give the same verdict.
    assert main(["gate", str(out / "results.json"), "--gates", str(suite)]) == 1


def test_report_shows_the_verdict() -> None:
    from embedgate.suite import load_suite
    from embedgate.judge.gating import plan
    from embedgate.report.render import render

    run = RunResult.load(ROOT / "reports" / "baselines" / "quickstart.json")
    verdict = plan(load_suite(ROOT / "suites" / "quickstart.yaml")).judge(run)
    html = render(run.model_copy(update={"verdict": verdict}))
    assert "<h2>Verdict: pass</h2>" in html and "m3e-ndcg-not-worse-than-baseline" in html
    assert "&gt;= 0.55" in html  # escaped, never raw markup
    assert "Verdict" not in render(run)
