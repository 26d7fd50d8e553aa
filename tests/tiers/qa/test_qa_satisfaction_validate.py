"""`embedgate validate` opens the QA ratings file: a bad row fails there, not at `run`."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.cli.entry import main

from tests.helpers.qa import toy_suite

ROOT = Path(__file__).resolve().parents[3]
GOOD = "question_id,system,rating,rater\nq1,kw/extractive,9,ann\nq2,kw/extractive,3,ann\n"


def _suite(tmp_path: Path, ratings: str, extra: str = "") -> Path:
    suite = toy_suite(tmp_path)
    (tmp_path / "ratings.csv").write_text(ratings, encoding="utf-8")
    suite.write_text(suite.read_text(encoding="utf-8") + "    ratings: ratings.csv\n" + extra,
                     encoding="utf-8")
    return suite


def _errors(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("embedgate:")]


def test_bad_ratings_row_fails_validate_with_file_line(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    suite = _suite(tmp_path, GOOD + "q3,kw/extractive,eleven,bob\n")
    assert main(["validate", str(suite)]) == 2
    [line] = _errors(capsys)
    assert f'{tmp_path / "ratings.csv"}:4: rating "eleven" is not a number' in line
    assert f"(qa ratings at {suite}:" in line


def test_unrun_reader_is_an_error_unless_counted_as_unused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = _suite(tmp_path, GOOD + "q1,kw/smollm2,5,ann\n")
    assert main(["validate", str(suite)]) == 2
    assert 'ratings.csv:4: unknown system "kw/smollm2"' in _errors(capsys)[0]
    suite = _suite(tmp_path, GOOD + "q1,kw/smollm2,5,ann\nq1,kx/smollm2,5,ann\n",
                   "    ratings_other_readers: unused\n")
    assert main(["validate", str(suite)]) == 2  # an unknown embedder stays an error
    assert 'ratings.csv:5: unknown system "kx/smollm2"' in _errors(capsys)[0]


def test_committed_suite_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "suites/qa-satisfaction.yaml")]) == 0
    assert "420 ratings" in capsys.readouterr().out
