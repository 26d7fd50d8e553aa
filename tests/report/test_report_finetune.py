"""The report's fine-tune section on a real base-vs-recipe run (tests/golden/finetune.json)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from embedgate.report.render import render
from embedgate.report.sections.finetune import find_base
from embedgate.results.schema import RunResult
from embedgate.algorithms.stats import paired_test

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "finetune.json"


@pytest.fixture(scope="module")
def run() -> RunResult:
    return RunResult.load(GOLDEN)


@pytest.fixture(scope="module")
def section(run: RunResult) -> str:
    html = render(run)
    return html[html.index('id="finetune"'):html.index('id="provenance"')]


def test_the_base_is_found_by_its_model_reference(run: RunResult) -> None:
    assert run.embedders["m3e-medical"]["extra"]["recipe"]["base"] == "packaged:m3e-small"
    assert find_base(run, "packaged:m3e-small", "m3e-medical") == "m3e-small"
    assert find_base(run, "packaged:bge-small", "m3e-medical") is None


def _row(section: str, metric: str) -> list[str]:
    for tr in re.findall(r"<tr>(.*?)</tr>", section, flags=re.DOTALL):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr)
        if len(cells) > 2 and cells[2] == metric:
            return cells
    raise AssertionError(f"no row for {metric}")


def test_base_vs_tuned_with_a_paired_test(run: RunResult, section: str) -> None:
    base = run.metric("m3e-small", "retrieval", "domain", "nDCG@10")
    tuned = run.metric("m3e-medical", "retrieval", "domain", "nDCG@10")
    assert base is not None and tuned is not None
    a = run.values("m3e-medical", "retrieval", "domain", "nDCG@10")
    b = run.values("m3e-small", "retrieval", "domain", "nDCG@10")
    assert a is not None and b is not None
    p = paired_test(a, b, seed=int(run.provenance["seed"])).p_value
    cells = _row(section, "nDCG@10")
    assert cells[3:6] == [f"{base.value:.4f}", f"{tuned.value:.4f}",
                          f"{tuned.value - base.value:+.4f}"]
    assert cells[6] == f"{(tuned.value - base.value) / base.value:+.1%}" and cells[7] == f"{p:.3g}"
    assert "retrieval: m3e-small vs m3e-medical" in section  # the grouped bar chart
    assert _row(section, "margin")[6] == "–"  # relative change of a near-zero base: not shown
    assert "cos_pos_mean" not in section  # descriptive statistics are not judged here


def test_stages_and_mining_statistics(run: RunResult, section: str) -> None:
    record = run.embedders["m3e-medical"]["extra"]["recipe"]
    for stage in record["stages"]:
        assert f"<td>{stage['stage']}</td>" in section
        assert f"{stage['train_set_loss_after']:.4f}" in section
    mining = next(s["mining"] for s in record["stages"] if "mining" in s)
    for strategy, stats in mining["per_strategy"].items():
        row = re.search(rf"<td>{strategy}</td>(.*?)</tr>", section, flags=re.DOTALL)
        assert row is not None
        assert re.findall(r">(\d+)</td>", row.group(1)) == [
            str(stats[k]) for k in ("mined", "dropped_false_negative", "duplicate", "kept", "unused")]
    assert f"{mining['negatives_kept']} negatives kept for {mining['queries']} queries" in section
    assert section.count("<summary>sample: ") == len(mining["sample"])
    assert "trained in this run" in section
