"""Each bad input gives one clear line and exit code 2: no traceback, no results file."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from embedgate.cli.entry import main

from tests.conftest import write_beir

CORPUS = [{"_id": "d1", "title": "", "text": "alpha"}, {"_id": "d2", "title": "t", "text": "beta"}]
QUERIES = [{"_id": "q1", "text": "alpha?"}]


def _suite(data: str = "data", model: str = "packaged:all-MiniLM-L6-v2",
           metrics: str = "[nDCG@10]", extra: str = "") -> str:
    return f"""name: bad
embedders:
  - id: e1
    kind: sentence-transformers
    model: {model}
datasets:
  - id: ds
    format: beir
    path: {data}
tiers:
  retrieval:
    metrics: {metrics}
{extra}"""


def _run(suite: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", str(suite), "--out", str(suite.parent / "out"), "-q"])
    err = capsys.readouterr().err.strip()
    assert not (suite.parent / "out" / "results.json").exists()
    return code, err


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def good_data(tmp_path: Path) -> Path:
    return write_beir(tmp_path / "data", CORPUS, QUERIES, [("q1", "d1", 1)])


def test_malformed_yaml(write_suite, capsys) -> None:
    path = write_suite("name: x\nembedders: [\n  - id: 1\n")
    code, err = _run(path, capsys)
    assert code == 2
    line = _one_error_line(err)
    assert "malformed YAML" in line and f"{path}:" in line


def test_unknown_key_names_line_and_suggests(write_suite, good_data, capsys) -> None:
    path = write_suite(_suite().replace("    model:", "    modle:"))
    code, err = _run(path, capsys)
    line = _one_error_line(err)
    assert code == 2
    assert f"{path}:5" in line and '"modle"' in line and 'did you mean "model"' in line


def test_wrong_type(write_suite, good_data, capsys) -> None:
    path = write_suite(_suite(extra="    top_k: lots\n"))
    code, err = _run(path, capsys)
    line = _one_error_line(err)
    assert code == 2 and "top_k" in line and f"{path}:13" in line


def test_unknown_metric(write_suite, good_data, capsys) -> None:
    path = write_suite(_suite(metrics="[nDGC@10]"))
    code, err = _run(path, capsys)
    line = _one_error_line(err)
    assert code == 2 and "nDGC@10" in line and 'did you mean "nDCG"' in line and f"{path}:12" in line


def test_unknown_embedder_kind_lists_available(write_suite, good_data, capsys) -> None:
    path = write_suite(_suite().replace("kind: sentence-transformers", "kind: sentence-transformer"))
    code, err = _run(path, capsys)
    line = _one_error_line(err)
    assert code == 2 and "available:" in line and 'did you mean "sentence-transformers"' in line


def test_missing_dataset_dir(write_suite, capsys) -> None:
    path = write_suite(_suite(data="nowhere"))
    code, err = _run(path, capsys)
    line = _one_error_line(err)
    assert code == 2 and "dataset folder not found" in line and f"{path}:9" in line


def test_missing_qrels_file(write_suite, good_data, capsys) -> None:
    (good_data / "qrels" / "test.tsv").unlink()
    code, err = _run(write_suite(_suite()), capsys)
    assert code == 2 and "qrels/test.tsv" in _one_error_line(err)


def test_empty_corpus(write_suite, tmp_path, capsys) -> None:
    write_beir(tmp_path / "data", [], QUERIES, [])
    code, err = _run(write_suite(_suite()), capsys)
    assert code == 2 and "corpus is empty" in _one_error_line(err)


def test_duplicate_document_ids(write_suite, tmp_path, capsys) -> None:
    write_beir(tmp_path / "data", CORPUS + [CORPUS[0]], QUERIES, [("q1", "d1", 1)])
    code, err = _run(write_suite(_suite()), capsys)
    line = _one_error_line(err)
    assert code == 2 and 'duplicate document id "d1"' in line and "corpus.jsonl:3" in line


def test_qrels_pointing_at_unknown_documents(write_suite, tmp_path, capsys) -> None:
    write_beir(tmp_path / "data", CORPUS, QUERIES, [("q1", "d1", 1), ("q1", "d404", 1)])
    code, err = _run(write_suite(_suite()), capsys)
    line = _one_error_line(err)
    assert code == 2 and '"d404"' in line and "test.tsv:3" in line


def test_unknown_packaged_alias(write_suite, good_data, capsys) -> None:
    path = write_suite(_suite(model="packaged:m3e-smal"))
    code, err = _run(path, capsys)
    line = _one_error_line(err)
    assert code == 2 and 'did you mean "m3e-small"' in line and f"{path}:5" in line


def test_model_directory_that_is_not_a_model(write_suite, good_data, tmp_path, capsys) -> None:
    (tmp_path / "notamodel").mkdir()
    (tmp_path / "notamodel" / "README.md").write_text("hi")
    code, err = _run(write_suite(_suite(model="notamodel")), capsys)
    line = _one_error_line(err)
    assert code == 2 and "is not a model directory" in line


def test_missing_suite_file(tmp_path, capsys) -> None:
    code = main(["run", str(tmp_path / "absent.yaml")])
    assert code == 2 and "file not found" in _one_error_line(capsys.readouterr().err)


def test_cli_subprocess_prints_no_traceback(write_suite, good_data) -> None:
    path = write_suite(_suite(metrics="[nDGC@10]"))
    proc = subprocess.run([sys.executable, "-m", "embedgate", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
