"""Bad input that used to end in "internal error", a silent skip or a message pointing the wrong
way: each is now one line, exit 2, naming the file (and the suite line that led there).

Runs use the BM25 retrieval system on a copy of the domain fixture: no model loads.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.infra.errors import InputError

from tests.conftest import FIXTURES


def _dataset(tmp_path: Path, name: str = "ds") -> Path:
    return Path(shutil.copytree(FIXTURES / "domain", tmp_path / name))


def _suite(tmp_path: Path, dataset: str, embedders: str = "", retrieval: str = "") -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(f"""name: t
embedders:
  - {{id: bm25, kind: bm25}}
{embedders}datasets:
  - {{id: ds, path: {dataset}}}
tiers:
  retrieval: {{metrics: [nDCG@10]{retrieval}}}
""", encoding="utf-8")
    return path


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embedgate: error: "), captured.err
    assert "internal error" not in lines[0] and "Traceback" not in captured.out + captured.err
    return lines[0]


def _run(suite: Path, tmp_path: Path) -> list[str]:
    return ["run", str(suite), "--out", str(tmp_path / "out"), "-q", "--no-cache"]


def test_a_symlink_loop_as_the_dataset_path(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "loop").symlink_to("loop")
    line = _fails(_run(_suite(tmp_path, "loop"), tmp_path), capsys)
    assert f"{tmp_path / 'loop'}: is a symlink loop" in line
    assert line.endswith(f'(dataset "ds" at {tmp_path / "suite.yaml"}:5)')


def test_a_fifo_as_the_dataset_path_is_not_reported_as_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "pipe")
    line = _fails(_run(_suite(tmp_path, "pipe"), tmp_path), capsys)
    assert "is a FIFO (named pipe), not a regular file or folder" in line
    assert "not found" not in line
    os.mkfifo(tmp_path / "suite-pipe.yaml")
    line = _fails(["validate", str(tmp_path / "suite-pipe.yaml")], capsys)
    assert "suite-pipe.yaml: is a FIFO (named pipe)" in line


def test_a_lone_surrogate_escape_in_a_jsonl_string(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ds = _dataset(tmp_path)
    corpus = (ds / "corpus.jsonl").read_text(encoding="utf-8")
    pair = '{"_id": "ok", "text": "a real pair \\ud83d\\ude00 is text"}\n'
    lone = '{"_id": "bad", "text": "broken \\ud800 here"}\n'
    (ds / "corpus.jsonl").write_text(pair + lone + corpus, encoding="utf-8")
    line = _fails(_run(_suite(tmp_path, "ds"), tmp_path), capsys)
    assert f"{ds / 'corpus.jsonl'}:2: a lone UTF-16 surrogate escape (\\ud800)" in line
    assert 'dataset "ds" at' in line


def test_bm25_over_a_corpus_without_a_word(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    ds = tmp_path / "ds"
    (ds / "qrels").mkdir(parents=True)
    (ds / "corpus.jsonl").write_text('{"_id": "d1", "text": "!!! ..."}\n'
                                     '{"_id": "d2", "text": "the of and"}\n', encoding="utf-8")
    (ds / "queries.jsonl").write_text('{"_id": "q1", "text": "hello"}\n', encoding="utf-8")
    (ds / "qrels" / "test.tsv").write_text("q1\td1\t1\n", encoding="utf-8")
    line = _fails(_run(_suite(tmp_path, "ds"), tmp_path), capsys)
    assert 'suite.yaml:3: bm25 "bm25": none of the 2 documents has a word left' in line
    assert "set stopwords: false" in line


def test_a_typo_in_a_hybrids_tuning_metric_fails_at_load(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _dataset(tmp_path)
    hybrid = ("  - {id: h, kind: hybrid, of: [bm25, b2], fusion: convex,\n"
              "     tune: {dataset: ds, metric: nDGC@10}}\n  - {id: b2, kind: bm25, k1: 1.0}\n")
    line = _fails(["validate", str(_suite(tmp_path, "ds", hybrid))], capsys)
    assert 'suite.yaml:5: embedders[1].tune.metric: unknown metric "nDGC@10"' in line


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_a_named_clause_qrels_file_that_cannot_be_read_is_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], make: str) -> None:
    ds = _dataset(tmp_path)
    if make == "folder":
        (ds / "clauses.tsv").mkdir()
    chunking = (", chunking: {strategies: [{split: chars, size: 400}], "
                "clause_qrels: clauses.tsv}")
    line = _fails(_run(_suite(tmp_path, "ds", retrieval=chunking), tmp_path), capsys)
    words = "clause qrels file not found" if make == "missing" else "is a directory"
    assert f"{ds / 'clauses.tsv'}: {words}" in line
    assert 'clause qrels of dataset "ds", tiers.retrieval.chunking at' in line


def test_the_unnamed_default_clause_qrels_stays_optional_unless_it_is_a_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = _dataset(tmp_path)
    suite = _suite(tmp_path, "ds", retrieval=", chunking: {strategies: [{split: chars, size: 400}]}")
    assert main(_run(suite, tmp_path)) == 0
    capsys.readouterr()
    (ds / "clause_qrels.tsv").mkdir()
    assert "clause_qrels.tsv: is a directory" in _fails(_run(suite, tmp_path), capsys)


def test_did_you_mean_offers_only_keys_of_the_block_being_validated(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _dataset(tmp_path)
    other_block = "  - {id: e, kind: sentence-transformers, model: m, metrcs: [x]}\n"
    line = _fails(["validate", str(_suite(tmp_path, "ds", other_block))], capsys)
    assert 'unknown key "metrcs" in embedders[1]; remove it' in line  # not tiers' "metrics"
    own_block = "  - {id: e, kind: sentence-transformers, modle: m}\n"
    line = _fails(["validate", str(_suite(tmp_path, "ds", own_block))], capsys)
    assert 'unknown key "modle" in embedders[1] (did you mean "model"?)' in line


def test_a_qa_source_of_the_other_format_says_so(tmp_path: Path) -> None:
    from embedgate.tiers.qa.data import load_beir_answers, load_squad

    ds = _dataset(tmp_path)
    with pytest.raises(InputError, match="is a folder, not a SQuAD JSON file; it holds "
                                         "corpus.jsonl: use format: beir-answers"):
        load_squad("s", ds)
    squad = tmp_path / "squad.json"
    squad.write_text('{"data": [{"paragraphs": []}]}', encoding="utf-8")
    with pytest.raises(InputError, match="is a file, not a BEIR folder holding corpus.jsonl; for "
                                         "a SQuAD JSON file use format: squad"):
        load_beir_answers("s", squad, ds / "queries.jsonl")
