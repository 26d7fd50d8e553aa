"""Bad pair sets and intrinsic suite settings: one clear line (file:line), exit 2, no results.

Pair sets are loaded before any model, so none of these loads a model.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_bad_input import _one_error_line, _run

HEADER = "group\tanchor\tcandidate\tlabel\tdomain\tlanguage\n"
GOOD_ROWS = ("g1\t心肌缺血\t冠状动脉供血不足\tsynonym\tmedical\tzh\n"
             "g1\t心肌缺血\t心肌炎\trelated\tmedical\tzh\n")


def _suite(tmp_path: Path, pairs: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(f"""name: bad-intrinsic
embedders:
  - id: e1
    kind: sentence-transformers
    model: packaged:all-MiniLM-L6-v2
tiers:
  intrinsic:
    pairs:
{pairs}""", encoding="utf-8")
    return path


def _tsv_case(tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    tsv = tmp_path / "pairs.tsv"
    tsv.write_bytes(data)
    suite = _suite(tmp_path, "      - {id: mine, type: tsv, path: pairs.tsv}\n")
    code, err = _run(suite, capsys)
    assert code == 2
    line = _one_error_line(err)
    assert f'pair set "mine" at {suite}:9' in line  # and where the suite names it
    return tsv, line


def test_missing_column(tmp_path: Path, capsys) -> None:
    header = HEADER.replace("\tlabel", "\tlabels")
    tsv, line = _tsv_case(tmp_path, (header + "g1\ta\tb\tsynonym\tmedical\tzh\n").encode(), capsys)
    assert f'{tsv}:1: missing column "label"' in line and 'did you mean "labels"' in line


def test_empty_set(tmp_path: Path, capsys) -> None:
    tsv, line = _tsv_case(tmp_path, HEADER.encode(), capsys)
    assert f"{tsv}: no pairs below the header" in line


def test_empty_file(tmp_path: Path, capsys) -> None:
    tsv, line = _tsv_case(tmp_path, b"", capsys)
    assert f"{tsv}: the pair file is empty" in line


def test_label_outside_the_allowed_set(tmp_path: Path, capsys) -> None:
    rows = GOOD_ROWS + "g1\t心肌缺血\t定期存款\tsynonm\tmedical\tzh\n"
    tsv, line = _tsv_case(tmp_path, (HEADER + rows).encode(), capsys)
    assert f'{tsv}:4: label "synonm" is not one of synonym, translation, related, unrelated' in line
    assert 'did you mean "synonym"' in line


def test_non_utf8_bytes(tmp_path: Path, capsys) -> None:
    data = (HEADER + GOOD_ROWS).encode() + "g1\t心肌缺血\t".encode("gbk") + b"x\tunrelated\tmedical\tzh\n"
    tsv, line = _tsv_case(tmp_path, data, capsys)
    assert f"{tsv}:4: not valid UTF-8" in line and "save the file as UTF-8" in line


def test_wrong_number_of_fields(tmp_path: Path, capsys) -> None:
    tsv, line = _tsv_case(tmp_path, (HEADER + "g1\ta\tb  synonym\tmedical\tzh\n").encode(), capsys)
    assert f"{tsv}:2: 5 tab-separated fields, the header has 6" in line


def test_group_without_negative(tmp_path: Path, capsys) -> None:
    rows = "x1\t挂失\t报失\tsynonym\tfinance\tzh\n"
    tsv, line = _tsv_case(tmp_path, (HEADER + GOOD_ROWS + rows).encode(), capsys)
    assert f'{tsv}:4: group "x1" has no negative' in line


def test_group_with_two_anchors(tmp_path: Path, capsys) -> None:
    rows = GOOD_ROWS + "g1\t心肌炎\t定期存款\tunrelated\tmedical\tzh\n"
    tsv, line = _tsv_case(tmp_path, (HEADER + rows).encode(), capsys)
    assert f'{tsv}:4: group "g1" has anchor "心肌炎" here but "心肌缺血" on line 2' in line


def test_missing_pair_file(tmp_path: Path, capsys) -> None:
    suite = _suite(tmp_path, "      - {id: mine, type: tsv, path: nowhere.tsv}\n")
    code, err = _run(suite, capsys)
    line = _one_error_line(err)
    assert code == 2 and "nowhere.tsv: pair file not found" in line and f"{suite}:9" in line


@pytest.mark.parametrize("pairs, expected", [
    ("      - {id: p, type: tsv}\n", "a tsv pair source needs a path"),
    ("      - {id: p, type: cilin}\n", "a cilin pair source needs sample: N"),
    ("      - {id: p, type: cilin, sample: 0}\n", "greater than 0"),
    ("      - {id: p, type: cedict, sample: 5}\n      - {id: p, type: cilin, sample: 5}\n",
     'duplicate pair set id "p"'),
    ("      - {id: p, type: wordnet, sample: 5}\n", "'tsv', 'cilin' or 'cedict'"),
    ("      - {id: p, type: cilin, sample: 5, sead: 1}\n", 'did you mean "seed"'),
])
def test_suite_settings(tmp_path: Path, capsys, pairs: str, expected: str) -> None:
    suite = _suite(tmp_path, pairs)
    code, err = _run(suite, capsys)
    line = _one_error_line(err)
    assert code == 2 and expected in line and f"{suite}:" in line
