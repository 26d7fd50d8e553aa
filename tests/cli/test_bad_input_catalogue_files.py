"""A catalogue of bad inputs: data files, every subcommand's arguments, file-system faults.

Each case: exit code 2, exactly one `embedgate: error:` line that names the file (and `:line`
where there is one) and says how to fix it, no traceback, no results.json left behind. All run
in-process and fail before any model loads; only the Ctrl-C case starts a real run.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from embedgate.infra import cli_args
from embedgate.cli.entry import build_parser, main

from tests.conftest import write_beir

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CORPUS = [{"_id": "d1", "title": "", "text": "alpha"}, {"_id": "d2", "title": "t", "text": "beta"}]
QUERIES = [{"_id": "q1", "text": "alpha?"}]
HEADER = b"query-id\tcorpus-id\tscore\n"
# A case builds its files under tmp and returns (argv, substrings the error line must hold).
Case = Callable[[Path], tuple[list[str], list[str]]]


def _suite(tmp: Path, body: str, name: str = "suite.yaml") -> Path:
    path = tmp / name
    path.write_text("name: bad\nembedders:\n  - id: e1\n    kind: sentence-transformers\n"
                    "    model: packaged:all-MiniLM-L6-v2\n" + body, encoding="utf-8")
    return path


def _retrieval(tmp: Path, data: str = "data") -> Path:
    return _suite(tmp, f"datasets:\n  - id: ds\n    format: beir\n    path: {data}\n"
                       "tiers:\n  retrieval:\n    metrics: [nDCG@10]\n")


def _run(suite: Path, *extra: str) -> list[str]:
    return ["run", str(suite), "--out", str(suite.parent / "out"), "-q", *extra]


def _beir(tmp: Path, corpus: bytes | None = None, queries: bytes | None = None,
          qrels: bytes | None = None) -> Path:
    root = write_beir(tmp / "data", CORPUS, QUERIES, [("q1", "d1", 1)])
    for name, data in (("corpus.jsonl", corpus), ("queries.jsonl", queries),
                       ("qrels/test.tsv", qrels)):
        if data is not None:
            (root / name).write_bytes(data)
    return root


def qrels_case(rows: bytes, line: int, *needles: str) -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        root = _beir(tmp, qrels=rows)
        return _run(_retrieval(tmp)), [f"{root / 'qrels' / 'test.tsv'}:{line}", *needles]
    return build


def corpus_case(lines: bytes, line: int, *needles: str, file: str = "corpus.jsonl") -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        good = b'{"_id": "d1", "text": "alpha"}\n' if file == "corpus.jsonl" \
            else b'{"_id": "q1", "text": "alpha?"}\n'
        root = _beir(tmp, **{file.split(".")[0]: good + lines})
        return _run(_retrieval(tmp)), [f"{root / file}:{line}", *needles]
    return build


def queries_case(lines: bytes, line: int, *needles: str) -> Case:
    return corpus_case(lines, line, *needles, file="queries.jsonl")


def dataset_path_case(kind: str) -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        root = _beir(tmp)
        if kind == "file":
            (tmp / "flat").write_text("x")
            return _run(_retrieval(tmp, "flat")), [str(tmp / "flat"), "is a file", "BEIR folder"]
        if kind == "nul":
            return _run(_retrieval(tmp, '"da\\0ta"')), ["da\\0ta", "NUL byte", "remove it"]
        if kind == "corpus-dir":
            (root / "corpus.jsonl").unlink()
            (root / "corpus.jsonl").mkdir()
            return _run(_retrieval(tmp)), [str(root / "corpus.jsonl"), "is a directory"]
        (root / "qrels" / "test.tsv").unlink()
        return _run(_retrieval(tmp)), [str(root / "qrels" / "test.tsv"), "not found"]
    return build


def pairs_case(data: bytes, line: int, *needles: str) -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        (tmp / "pairs.tsv").write_bytes(data)
        suite = _suite(tmp, "tiers:\n  intrinsic:\n    pairs:\n"
                            "      - {id: mine, type: tsv, path: pairs.tsv}\n")
        return _run(suite), [f"{tmp / 'pairs.tsv'}:{line}", *needles]
    return build


PAIR_HEADER = b"group\tanchor\tcandidate\tlabel\tdomain\tlanguage\n"


def intent_case(name: str, data: bytes, line: int, *needles: str) -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        (tmp / name).write_bytes(data)
        suite = _suite(tmp, f"tiers:\n  intent:\n    folds: 2\n    sources:\n"
                            f"      - {{id: mine, path: {tmp / name}}}\n")
        return _run(suite), [f"{tmp / name}:{line}", *needles]
    return build


def qa_case(kind: str, data: bytes, where: str, *needles: str) -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        write_beir(tmp / "data", CORPUS, QUERIES, [("q1", "d1", 1)])
        name = "squad.json" if kind == "squad" else "answers.jsonl"
        (tmp / name).write_bytes(data)
        source = ("format: squad, path: squad.json" if kind == "squad"
                  else f"format: beir-answers, path: {tmp / 'data'}, answers: answers.jsonl")
        suite = _suite(tmp, f"tiers:\n  qa:\n    top_k: 1\n    sources:\n"
                            f"      - {{id: toy, {source}}}\n    readers: [{{type: extractive}}]\n")
        return _run(suite), [f"{tmp / name}{where}", *needles]
    return build


def recipe_case(data: bytes | None, line: int, *needles: str) -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        recipe = tmp / "recipe.yaml"
        recipe.write_text("name: r\nbase: packaged:m3e-small\ndata: {pairs: pairs.tsv}\n"
                          "stages: [{kind: supervised}]\n", encoding="utf-8")
        if data is None:  # the recipe path itself is a folder
            return ["finetune", str(tmp), "-q"], [str(tmp), "is a directory", "recipe file"]
        (tmp / "pairs.tsv").write_bytes(data)
        return ["finetune", str(recipe), "-q"], [f"{tmp / 'pairs.tsv'}:{line}", *needles]
    return build


def args_case(argv: list[str], *needles: str) -> Case:
    """A bad option: argparse-level, one line naming the option and pointing at --help."""
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        suite = _retrieval(tmp)
        _beir(tmp)
        full = [a.replace("SUITE", str(suite)).replace("TMP", str(tmp)) for a in argv]
        return full, list(needles)
    return build


def _results(tmp: Path, text: str | bytes | None) -> Path:
    path = tmp / "results.json"
    if text is None:
        path.mkdir()
    else:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def results_case(cmd: str, text: str | bytes | None, *needles: str) -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        (tmp / "in").mkdir()
        path = _results(tmp / "in", text)
        argv = {"report": ["report", str(path)],
                "gate": ["gate", str(path), "--gates", str(GOLDEN / "suite.yaml")],
                "compare": ["compare", str(path)]}[cmd]
        return argv, [str(path), *needles]
    return build


def fs_case(kind: str) -> Case:
    def build(tmp: Path) -> tuple[list[str], list[str]]:
        suite = _retrieval(tmp)
        _beir(tmp)
        (tmp / "afile").write_text("x")
        if kind == "suite-dir":
            return ["run", str(tmp), "-q"], [str(tmp), "is a directory", "suite file"]
        if kind == "validate-dir":
            return ["validate", str(tmp)], [str(tmp), "is a directory", "suite file"]
        if kind == "suite-nul":
            return ["validate", "su\0ite.yaml"], ["su\\0ite.yaml", "NUL byte", "remove it"]
        if kind == "out-under-file":
            return (["run", str(suite), "--out", str(tmp / "afile" / "out"), "-q"],
                    [str(tmp / "afile" / "out"), "is a file", "choose another --out"])
        if kind == "out-nul":
            return (["run", str(suite), "--out", str(tmp / "o\0ut"), "-q"],
                    ["o\\0ut", "NUL byte", "remove it"])
        if kind == "out-proc":
            return (["run", str(suite), "--out", "/proc/embedgate-out", "-q"],
                    ["/proc/embedgate-out", "cannot write there", "choose a writable --out"])
        if kind == "report-out-dir":
            res = shutil.copy(GOLDEN / "pass.json", tmp / "r.json")
            return (["report", str(res), "--out", str(tmp)],
                    [str(tmp), "is a directory", "give --out a file name"])
        if kind == "gate-junit-under-file":
            return (["gate", str(GOLDEN / "pass.json"), "--gates", str(GOLDEN / "suite.yaml"),
                     "--junit", str(tmp / "afile" / "v.xml")], [str(tmp / "afile"), "--junit"])
        if kind == "gates-dir":
            return (["gate", str(GOLDEN / "pass.json"), "--gates", str(tmp)],
                    [str(tmp), "is a directory", "gates suite file"])
        if kind == "compare-md-under-file":
            return (["compare", str(GOLDEN / "pass.json"), "--md", str(tmp / "afile" / "x.md")],
                    [str(tmp / "afile"), "--md"])
        if kind == "cache-dir-file":
            return (["cache", "--cache-dir", str(tmp / "afile"), "info"],
                    [str(tmp / "afile"), "is a file", "--cache-dir"])
        if kind == "cache-dir-nul":
            return ["cache", "--cache-dir", "ca\0che", "info"], ["ca\\0che", "NUL byte"]
        if kind == "quantize-out-nul":
            return (["quantize", "packaged:all-MiniLM-L6-v2", "--out", "o\0ut"],
                    ["o\\0ut", "NUL byte"])
        if kind == "quantize-out-under-file":
            return (["quantize", "packaged:all-MiniLM-L6-v2", "--out", str(tmp / "afile" / "q")],
                    [str(tmp / "afile" / "q"), "choose another --out"])
        if kind == "max-seq-length":  # checked against config.json before any model loads
            s = _suite(tmp, "    max_seq_length: 8192\ndatasets:\n  - {id: ds, format: beir, "
                            "path: data}\ntiers:\n  retrieval: {metrics: [nDCG@10]}\n")
            return _run(s), [f"{s}:6", "max_seq_length 8192 exceeds the model's 512 position "
                             "embeddings (packaged:all-MiniLM-L6-v2); set at most 512"]
        raise AssertionError(kind)
    return build


NOT_UTF8 = "save the file as UTF-8"
CASES = [
    # -- BEIR qrels --------------------------------------------------------------------------
    pytest.param(qrels_case(HEADER + "q1\td1\t²\n".encode(), 2, "'²' is not a whole number",
                            "digits 0-9"), id="qrels-superscript-score"),
    pytest.param(qrels_case(HEADER + b"q1\td1\t--1\n", 2, "'--1' is not a whole number"),
                 id="qrels-double-minus"),
    pytest.param(qrels_case(HEADER + b"q1\td1\t4294967296\n", 2, "out of range", "0, 1, 2"),
                 id="qrels-beyond-int32"),
    pytest.param(qrels_case(HEADER + b"q1\td1\t-99999999999\n", 2, "out of range"),
                 id="qrels-negative-beyond-int32"),
    pytest.param(qrels_case(HEADER + b"q1\td1\t1.0\n", 2, "'1.0' is not a whole number"),
                 id="qrels-float-score"),
    pytest.param(qrels_case(HEADER + "q1\td1\t١\n".encode(), 2, "not a whole number"),
                 id="qrels-arabic-indic-digit"),
    pytest.param(qrels_case(HEADER + b"q1\td1\n", 2, "2 columns", "query-id<TAB>corpus-id"),
                 id="qrels-two-columns"),
    pytest.param(qrels_case(HEADER + b"q1\t0\td1\t1\textra\n", 2, "5 columns"),
                 id="qrels-five-columns"),
    pytest.param(qrels_case(HEADER + b"q1\td1\t1\nq1\td2\t\xff\n", 3, "not valid UTF-8 (byte 0xff", NOT_UTF8),
                 id="qrels-non-utf8"),
    pytest.param(qrels_case("q1\td1\t²\n".encode(), 1, "not a whole number"),
                 id="qrels-bad-score-on-first-line"),
    pytest.param(qrels_case(HEADER + b"q1\tnope\t1\n", 2, 'unknown document "nope"',
                            "unknown_doc_qrels: drop"), id="qrels-unknown-document"),
    # -- BEIR corpus / queries ----------------------------------------------------------------
    pytest.param(corpus_case(b'{"_id": "d2", "text": "caf\xe9"}\n', 2, "byte 0xe9", NOT_UTF8),
                 id="corpus-latin1-byte"),
    pytest.param(corpus_case(b"[1, 2]\n", 2, "a JSON array, not an object"), id="corpus-array-line"),
    pytest.param(corpus_case(b'"just text"\n', 2, "a JSON string, not an object"),
                 id="corpus-string-line"),
    pytest.param(corpus_case(b"null\n", 2, "a JSON null, not an object"), id="corpus-null-line"),
    pytest.param(corpus_case(b'{"_id": "d2", "text": }\n', 2, "invalid JSON"),
                 id="corpus-invalid-json"),
    pytest.param(corpus_case(b'{"_id": ["d2"], "text": "x"}\n', 2, '"_id" is a JSON array',
                             "ids must be strings"), id="corpus-id-list"),
    pytest.param(corpus_case(b'{"_id": 2.5, "text": "x"}\n', 2, '"_id" is a JSON number'),
                 id="corpus-id-float"),
    pytest.param(corpus_case(b'{"_id": true, "text": "x"}\n', 2, '"_id" is a JSON boolean'),
                 id="corpus-id-bool"),
    pytest.param(corpus_case(b'{"text": "x"}\n', 2, 'missing "_id"'), id="corpus-id-missing"),
    pytest.param(corpus_case(b'{"_id": "d2", "text": {"a": 1}}\n', 2,
                             '"text" is a JSON dict, not a string', "quoted string"),
                 id="corpus-text-object"),
    pytest.param(corpus_case(b'{"_id": "d2", "title": 7, "text": "x"}\n', 2,
                             '"title" is a JSON number'), id="corpus-title-number"),
    pytest.param(corpus_case(b'{"_id": "d1", "text": "again"}\n', 2, 'duplicate document id'),
                 id="corpus-duplicate-id"),
    pytest.param(queries_case(b'{"_id": "q2", "text": ["a", "b"]}\n', 2,
                              '"text" is a JSON array, not a string'), id="queries-text-list"),
    pytest.param(queries_case(b'{"_id": {"x": 1}, "text": "a"}\n', 2, '"_id" is a JSON dict'),
                 id="queries-id-object"),
    pytest.param(queries_case(b"42\n", 2, "a JSON number, not an object"),
                 id="queries-number-line"),
    pytest.param(queries_case(b'{"_id": "q2", "text": "\xc3\x28"}\n', 2, "byte 0xc3", NOT_UTF8),
                 id="queries-non-utf8"),
    pytest.param(queries_case(b'{"_id": "q1", "text": "dup"}\n', 2, "duplicate query id"),
                 id="queries-duplicate-id"),
    pytest.param(dataset_path_case("file"), id="dataset-path-is-a-file"),
    pytest.param(dataset_path_case("nul"), id="dataset-path-nul-byte"),
    pytest.param(dataset_path_case("corpus-dir"), id="corpus-is-a-directory"),
    pytest.param(dataset_path_case("qrels-missing"), id="qrels-split-missing"),
    # -- pair TSV, intents, QA, recipe training data ------------------------------------------
    pytest.param(pairs_case(PAIR_HEADER + b"g1\ta\t\xff\tsynonym\tmedical\tzh\n", 2,
                            "not valid UTF-8 (byte 0xff", NOT_UTF8), id="pairs-non-utf8"),
    pytest.param(pairs_case(PAIR_HEADER.replace(b"\tlabel", b"\tlabels")
                            + b"g1\ta\tb\tsynonym\tmedical\tzh\n", 1, 'missing column "label"'),
                 id="pairs-missing-column"),
    pytest.param(intent_case("i.csv", b"text,label\na,x\nb\xff,x\n", 3, "not valid UTF-8 (byte 0xff", NOT_UTF8),
                 id="intent-csv-non-utf8"),
    pytest.param(intent_case("i.csv", b"text,label\na,x\nb,x,extra\n", 3, "3 fields, header has 2",
                             "quote texts"), id="intent-csv-field-count"),
    pytest.param(intent_case("i.jsonl", b'{"text": "a", "label": "x"}\n[1]\n', 2,
                             "a JSON array, not an object"), id="intent-jsonl-array-line"),
    pytest.param(intent_case("i.jsonl", b'{"text": "a", "label": ["x"]}\n', 1,
                             '"label" must be a string'), id="intent-jsonl-label-list"),
    pytest.param(intent_case("i.jsonl", b'{"text": 5, "label": "x"}\n', 1,
                             '"text" is a JSON number, not a string'), id="intent-jsonl-text-number"),
    pytest.param(qa_case("squad", b'{"data": [', ":1", "invalid JSON"), id="qa-squad-not-json"),
    pytest.param(qa_case("squad", b'{"data": []}\n\xff', ":2", "not valid UTF-8 (byte 0xff", NOT_UTF8),
                 id="qa-squad-non-utf8"),
    pytest.param(qa_case("squad", b"[1, 2]", "", "not SQuAD format"), id="qa-squad-wrong-shape"),
    pytest.param(qa_case("answers", b'{"id": "a", "question": 5, "answers": ["x"], "doc_id": "d1"}\n',
                         ":1", '"question" is a JSON number'), id="qa-answers-question-number"),
    pytest.param(qa_case("answers", b'{"id": "a", "question": "\xfe"}\n', ":1", "byte 0xfe"),
                 id="qa-answers-non-utf8"),
    pytest.param(qa_case("answers", b'"a string"\n', ":1", "not an object"),
                 id="qa-answers-not-an-object"),
    pytest.param(recipe_case(b"q one\tp one\nq two\t\x80\n", 2, "byte 0x80", NOT_UTF8),
                 id="recipe-pairs-non-utf8"),
    pytest.param(recipe_case(b"q one\tp one\nonly one column\n", 2, "expected 'query<TAB>positive"),
                 id="recipe-pairs-one-column"),
    pytest.param(recipe_case(None, 0), id="recipe-file-is-a-directory"),
    # -- numbers on the command line -----------------------------------------------------------
    pytest.param(args_case(["run", "SUITE", "--threads", "-1"], "argument --threads: -1 is out of "
                           "range", "see embedgate run --help"), id="run-threads-negative"),
    pytest.param(args_case(["run", "SUITE", "--threads", "0"], "--threads: 0 is out of range"),
                 id="run-threads-zero"),
    pytest.param(args_case(["run", "SUITE", "--threads", "two"], "'two' is not a whole number"),
                 id="run-threads-text"),
    pytest.param(args_case(["run", "SUITE", "--threads", "100000"], "between 1 and 4096"),
                 id="run-threads-huge"),
    pytest.param(args_case(["finetune", "SUITE", "--threads", "0"], "--threads",
                           "see embedgate finetune --help"), id="finetune-threads-zero"),
    pytest.param(args_case(["compare", "x.json", "--alpha", "0"], "--alpha: 0 is out of range"),
                 id="compare-alpha-zero"),
    pytest.param(args_case(["compare", "x.json", "--alpha", "nan"], "'nan' is not a finite number"),
                 id="compare-alpha-nan"),
    pytest.param(args_case(["compare", "x.json", "--n-resamples", "0"], "--n-resamples"),
                 id="compare-n-resamples-zero"),
    pytest.param(args_case(["compare", "x.json", "--seed", "-3"], "--seed: -3 is out of range"),
                 id="compare-seed-negative"),
    pytest.param(args_case(["cache", "prune", "--older-than", "-1"], "--older-than: -1 is out of "
                           "range", "see embedgate cache prune --help"), id="cache-prune-negative-days"),
    pytest.param(args_case(["cache", "prune", "--older-than", "inf"], "not a finite number"),
                 id="cache-prune-infinite-days"),
    pytest.param(args_case(["serve-openai", "packaged:all-MiniLM-L6-v2", "--port", "0"],
                           "--port: 0 is out of range; give a TCP port between 1 and 65535"),
                 id="serve-port-zero"),
    pytest.param(args_case(["serve-openai", "m", "--port", "70000"], "between 1 and 65535"),
                 id="serve-port-too-big"),
    pytest.param(args_case(["serve-openai", "m", "--max-seq-length", "-5"], "--max-seq-length"),
                 id="serve-max-seq-length-negative"),
    pytest.param(args_case(["bench", "overhead", "--rounds", "0"], "--rounds: 0 is out of range",
                           "see embedgate bench overhead --help"), id="bench-rounds-zero"),
    pytest.param(args_case(["bench", "batching", "--threads", "-2"], "--threads"),
                 id="bench-threads-negative"),
    pytest.param(args_case(["bench", "memory", "--sizes", "10,abc"], "'abc' is not a whole number"),
                 id="bench-memory-sizes-text"),
    pytest.param(args_case(["bench", "memory", "--sizes", "0"], "--sizes: 0 is out of range"),
                 id="bench-memory-sizes-zero"),
    pytest.param(args_case(["runn", "SUITE"], "invalid choice: 'runn'"), id="unknown-subcommand"),
    # -- results files for report / gate / compare ---------------------------------------------
    pytest.param(results_case("report", None, "is a directory", "results file itself"),
                 id="report-results-is-a-directory"),
    pytest.param(results_case("report", "{not json", ":1", "not a results JSON file",
                              "written by `embedgate run`"), id="report-results-not-json"),
    pytest.param(results_case("report", "[1, 2]", "holds a JSON list, not a results object"),
                 id="report-results-json-list"),
    pytest.param(results_case("report", '{"schema_version": "0"}', "schema_version '0'",
                              "re-run the suite"), id="report-results-old-schema"),
    pytest.param(results_case("gate", b"\xff\xfe{}", ":1", "not valid UTF-8 (byte 0xff", NOT_UTF8),
                 id="gate-results-non-utf8"),
    pytest.param(results_case("gate", None, "is a directory"), id="gate-results-is-a-directory"),
    pytest.param(results_case("compare", '"text"', "holds a JSON str"),
                 id="compare-results-json-string"),
    # -- file-system faults ----------------------------------------------------------------------
    pytest.param(fs_case("suite-dir"), id="run-suite-is-a-directory"),
    pytest.param(fs_case("validate-dir"), id="validate-suite-is-a-directory"),
    pytest.param(fs_case("suite-nul"), id="validate-suite-nul-byte"),
    pytest.param(fs_case("out-under-file"), id="run-out-under-a-file"),
    pytest.param(fs_case("out-nul"), id="run-out-nul-byte"),
    pytest.param(fs_case("out-proc"), id="run-out-under-proc"),
    pytest.param(fs_case("report-out-dir"), id="report-out-is-a-directory"),
    pytest.param(fs_case("gate-junit-under-file"), id="gate-junit-under-a-file"),
    pytest.param(fs_case("gates-dir"), id="gate-gates-is-a-directory"),
    pytest.param(fs_case("compare-md-under-file"), id="compare-md-under-a-file"),
    pytest.param(fs_case("cache-dir-file"), id="cache-dir-is-a-file"),
    pytest.param(fs_case("cache-dir-nul"), id="cache-dir-nul-byte"),
    pytest.param(fs_case("quantize-out-nul"), id="quantize-out-nul-byte"),
    pytest.param(fs_case("quantize-out-under-file"), id="quantize-out-under-a-file"),
    pytest.param(fs_case("max-seq-length"), id="max-seq-length-beyond-positions"),
]


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    argv, needles = case(tmp_path)
    code = main(argv)
    line = _one_line(capsys.readouterr().err)
    assert code == 2, line
    for needle in needles:
        assert needle in line, (needle, line)
    assert "; " in line, f"no fix given: {line}"
    assert not list(tmp_path.rglob("results.json")) or argv[0] in ("report", "gate", "compare")
    assert not (tmp_path / "out").exists()


def test_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 50


def test_out_in_an_immutable_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Root ignores chmod, so the read-only folder is made immutable with chattr +i."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr not installed: cannot make a folder unwritable for root")
    _beir(tmp_path)
    suite = _retrieval(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not support chattr +i")
    try:
        code = main(["run", str(suite), "--out", str(locked / "out"), "-q"])
        line = _one_line(capsys.readouterr().err)
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert code == 2
    assert f"{locked / 'out'}: cannot write there" in line and "choose a writable --out" in line
    assert not (locked / "out").exists()


def test_every_numeric_option_is_range_checked() -> None:
    """A bare `type=int` / `type=float` lets -1, 0 or nan through to a crash deep inside."""
    def walk(parser: object, prog: str) -> list[str]:
        bad: list[str] = []
        for action in getattr(parser, "_actions", []):
            if action.type in (int, float) and not cli_args.is_checked(action.type):
                bad.append(f"{prog} {'/'.join(action.option_strings) or action.dest}")
            choices = getattr(action, "choices", None)
            for name, child in (choices.items() if isinstance(choices, dict) else ()):
                if hasattr(child, "_actions"):
                    bad += walk(child, f"{prog} {name}")
        return bad

    assert walk(build_parser(), "embedgate") == []


def test_an_unexpected_exception_is_one_line_exit_4(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from embedgate.cli import entry as cli

    def boom(args: object) -> int:
        raise RuntimeError("kaput\nsecond line")

    monkeypatch.setattr(cli, "_cmd_validate", boom)
    assert main(["validate", "x.yaml"]) == 4
    err = capsys.readouterr().err
    assert err.strip() == ("embedgate: internal error: RuntimeError: kaput (a bug; rerun with -v "
                           "for the traceback and report it)")
    with pytest.raises(RuntimeError):
        main(["-v", "validate", "x.yaml"])


# -- Ctrl-C during a real run -----------------------------------------------------------------
def _sigint_suite(tmp: Path, corpus: list[dict], name: str) -> Path:
    queries = [{"_id": f"q{i}", "text": f"w{i} w{i + 1}"} for i in range(4)]
    write_beir(tmp / name, corpus, queries, [(f"q{i}", d["_id"], 1) for i, d in
                                             zip(range(4), corpus * 4)])
    return _suite(tmp, "    batch_size: 8\n    max_seq_length: 256\ndatasets:\n  - {id: ds, "
                       f"format: beir, path: {name}}}\ntiers:\n  retrieval: {{metrics: [nDCG@10]}}\n"
                       "cache:\n  commit_every: 8\n", name=f"{name}.yaml")


def _keys(db: Path) -> set[bytes]:
    """Committed keys, read as an ordinary WAL reader: a mode=ro connection may not get the
    shared-memory index and then sees only checkpointed pages (i.e. nothing until the writer
    closes), which let a fast run finish before the test saw its first chunk."""
    if not db.exists():
        return set()
    conn = sqlite3.connect(db, timeout=1)
    try:
        return {bytes(r[0]) for r in conn.execute("SELECT text_sha256 FROM embeddings")}
    except sqlite3.Error:
        return set()
    finally:
        conn.close()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_ctrl_c_keeps_finished_chunks_and_writes_no_results(tmp_path: Path) -> None:
    """Ctrl-C mid-encode: exit 130, one line, no results.json; the committed chunks are hits on
    a re-run (over just the committed documents, so the re-run encodes nothing but queries)."""
    import random

    from embedgate.encode.cache import text_key

    rng = random.Random(0)
    words = [f"w{i}" for i in range(2000)]
    corpus = [{"_id": f"d{i}", "text": " ".join(rng.choices(words, k=120))} for i in range(800)]
    suite = _sigint_suite(tmp_path, corpus, "big")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}

    def argv(s: Path) -> list[str]:
        return [sys.executable, "-m", "embedgate", "run", str(s), "--out", str(tmp_path / "out"),
                "--cache-dir", str(tmp_path / "cache"), "--threads", "2", "-q"]

    # A CI that starts pytest as a background job hands every child SIGINT = SIG_IGN, which
    # Python keeps; restore what a user at a terminal has, or the Ctrl-C is silently ignored.
    proc = subprocess.Popen(argv(suite), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=tmp_path, preexec_fn=_default_sigint)
    db = tmp_path / "cache" / "embeddings.sqlite3"
    deadline = time.monotonic() + 240
    while proc.poll() is None and not _keys(db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before the first chunk was seen"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert [ln for ln in err.splitlines() if "interrupt" in ln.lower()] == [
        "embedgate: interrupted; finished cache chunks are kept, no results were written; "
        "rerun to continue from the cache"], err
    assert not (tmp_path / "out" / "results.json").exists()
    kept = _keys(db)
    done = [d for d in corpus if text_key(d["text"]) in kept]
    assert 0 < len(done) < len(corpus)
    rerun = subprocess.run(argv(_sigint_suite(tmp_path, done, "done")), capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    timings = json.loads((tmp_path / "out" / "results.json").read_text())["timings"]
    assert timings["encode_cache_hits"] >= len(done)
