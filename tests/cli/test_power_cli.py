"""`embedgate power`: the table from a results file, and bad input as one line with exit 2."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from embedgate.algorithms.power import analyse, queries_needed
from embedgate.cli.entry import main

from tests.helpers.power import paired_run

RNG = np.random.default_rng(9)
BASE = RNG.uniform(0.3, 0.9, 50)
VALUES = {"weak": BASE - 0.08 + RNG.normal(0, 0.15, 50), "best": BASE,
          "same": BASE.copy() + 0.0, "close": BASE - 0.03 + RNG.normal(0, 0.05, 50)}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    path = tmp_path / "results.json"
    paired_run(VALUES, datasets=("ds", "other-ds")).save(path)
    return path


def _table(out: str) -> dict[tuple[str, str], list[str]]:
    rows = [line.split() for line in out.splitlines()[2:] if " - " in line and ":" not in line]
    return {(r[0], r[1]): r[4:] for r in rows}  # (dataset, other) -> n, delta, sd, ...


def test_every_other_system_against_the_best_on_every_dataset(
        results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["power", str(results), "--delta", "0.02"]) == 0
    out = capsys.readouterr().out
    table = _table(out)
    assert list(table) == [(ds, o) for ds in ("ds", "other-ds") for o in ("weak", "same", "close")]
    diffs = VALUES["weak"] - BASE
    want = analyse(diffs, target_delta=0.02)
    n, delta, sd, power, mde, needed, needed_target = table[("ds", "weak")]
    assert (int(n), float(delta), float(sd)) == (50, round(want.delta, 4), round(want.sd, 4))
    assert float(mde) == round(want.mde, 4) and int(needed) == want.needed_observed
    assert int(needed_target.replace(",", "")) == queries_needed(0.02, want.sd)
    # "same" has the best one's values: zero variance, said once per dataset, not a crash.
    assert "ds same - best: the per-query differences have zero variance" in out


def test_base_and_other_pick_one_pair(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["power", str(results), "--base", "weak", "--other", "close", "--dataset", "ds",
            "--metric", "nDCG@10", "--alpha", "0.01", "--power", "0.9"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "alpha 0.01, target power 0.9" in out
    row = _table(out)[("ds", "close")]
    want = analyse(VALUES["close"] - VALUES["weak"], alpha=0.01, power=0.9)
    assert float(row[1]) == round(want.delta, 4) > 0 and int(row[5]) == want.needed_observed


@pytest.mark.parametrize(("argv", "message"), [
    (["--base", "bestt"], 'unknown embedder "bestt" (did you mean "best"?); the results hold'),
    (["--other", "nope"], 'unknown embedder "nope"'),
    (["--metric", "nDCG@5"], 'unknown retrieval metric "nDCG@5" (did you mean "nDCG@10"?)'),
    (["--dataset", "dss"], 'unknown dataset "dss" (did you mean "ds"?)'),
    (["--tier", "qa"], 'unknown tier "qa"'),
    (["--base", "best", "--other", "best"], "--base and --other are both best"),
    (["--other", "best"], "best is the base, so it cannot be the other system too"),
    (["--alpha", "nan"], "argument --alpha: 'nan' is not a finite number"),
    (["--power", "0.01"], "power must lie strictly between alpha (0.05) and 1"),
    (["--delta", "0"], "argument --delta: 0 is out of range"),
])
def test_bad_options_are_one_line_exit_2(results: Path, capsys: pytest.CaptureFixture[str],
                                         argv: list[str], message: str) -> None:
    assert main(["power", str(results), *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embedgate: error: ") and message in lines[0]
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize(("content", "message"), [
    (None, "results file not found"),
    ("[1, 2]", "holds a JSON list, not a results object"),
    ("{not json", "not a results JSON file"),
])
def test_bad_files_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       content: str | None, message: str) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["power", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_one_system_is_nothing_to_compare(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "solo.json"
    paired_run({"best": BASE}).save(path)
    assert main(["power", str(path)]) == 2
    assert "fewer than two embedders" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_per_query_values_are_bad_input_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: float) -> None:
    weak = VALUES["weak"].copy()
    weak[3] = bad
    path = tmp_path / "damaged.json"
    paired_run({"best": BASE, "weak": weak}).save(path)
    assert main(["power", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines == [f"embedgate: error: {path}: retrieval/ds/nDCG@10: weak has 1 non-finite "
                     "per-query values (NaN or infinity; e.g. query q3); re-run the suite to "
                     "rewrite the results file"]
    assert captured.out == ""  # no table printed before the error
