"""Bad intent / space-map input through the CLI: one line naming file:line, exit 2, no results."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.algorithms.projection import umap_available

from tests.helpers.intents import write_csv
from tests.helpers.suites import minilm_suite

ROWS = [("a", "x"), ("b", "x"), ("c", "y"), ("d", "y")]


def _suite(tmp_path: Path, tiers: str) -> Path:
    return minilm_suite(tmp_path, f"tiers:\n{tiers}")


def _intent(tmp_path: Path, data: Path, folds: int = 2) -> Path:
    return _suite(tmp_path, f"  intent:\n    folds: {folds}\n    sources:\n"
                            f"      - {{id: mine, path: {data}}}\n")


def _error(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["run", str(path), "--out", str(path.parent / "out"), "-q"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert not (path.parent / "out" / "results.json").exists()
    return lines[0]


def test_label_with_one_example(tmp_path: Path, capsys) -> None:
    data = write_csv(tmp_path / "i.csv", ROWS + [("e", "lonely")])
    line = _error(_intent(tmp_path, data), capsys)
    assert f'{data}:6: label "lonely" has 1 example' in line
    assert "2-fold cross-validation" in line and "suite.yaml:10" in line


def test_empty_text(tmp_path: Path, capsys) -> None:
    data = write_csv(tmp_path / "i.csv", ROWS[:2] + [("", "y")] + ROWS[2:])
    line = _error(_intent(tmp_path, data), capsys)
    assert f"{data}:4: empty text" in line


def test_missing_label_column(tmp_path: Path, capsys) -> None:
    data = write_csv(tmp_path / "i.csv", ROWS, header="text,intent")
    line = _error(_intent(tmp_path, data), capsys)
    assert f'{data}:1: no "label" column' in line and "text,intent" in line


def test_bad_tier_setting_names_the_suite_line(tmp_path: Path, capsys) -> None:
    data = write_csv(tmp_path / "i.csv", ROWS)
    line = _error(_intent(tmp_path, data, folds=1), capsys)
    assert "suite.yaml:8" in line and "folds" in line


def test_space_map_unknown_dataset(tmp_path: Path, capsys) -> None:
    path = _suite(tmp_path, "  space_map:\n    sources:\n      - {id: domian, kind: dataset}\n")
    line = _error(path, capsys)
    assert 'unknown dataset "domian"' in line and "suite.yaml:9" in line


def test_space_map_unknown_source_kind(tmp_path: Path, capsys) -> None:
    path = _suite(tmp_path, "  space_map:\n    sources:\n      - {id: x, kind: synonyms, path: p}\n")
    line = _error(path, capsys)
    assert "suite.yaml:9" in line and "kind" in line


@pytest.mark.skipif(umap_available(), reason="umap-learn is installed here")
def test_umap_without_the_extra(tmp_path: Path, capsys) -> None:
    data = write_csv(tmp_path / "i.csv", ROWS)
    path = _suite(tmp_path, "  space_map:\n    method: umap\n    sources:\n"
                            f"      - {{id: m, kind: intent, path: {data}}}\n")
    line = _error(path, capsys)
    assert "suite.yaml:8" in line and "embedgate[umap]" in line
