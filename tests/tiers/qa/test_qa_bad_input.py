"""Bad QA input: one clear line naming where and what, exit code 2, no results file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main

from tests.helpers.qa import toy_suite


def _run(suite: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", str(suite), "--out", str(suite.parent / "out"), "-q"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert not (suite.parent / "out" / "results.json").exists()
    return code, lines[0]


def test_answers_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = toy_suite(tmp_path)
    answers = tmp_path / "answers.jsonl"
    answers.write_text(answers.read_text(encoding="utf-8") +
                       '{"id": "q9", "question": "what now", "doc_id": "d1"}\n', encoding="utf-8")
    code, line = _run(suite, capsys)
    assert code == 2
    assert f"{answers}:4 (id q9)" in line and '"answers" is missing or empty' in line
    assert 'qa source "toy"' in line


def test_squad_context_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps({"data": [{"paragraphs": [
        {"id": "p1", "context": "Paris is in France.", "qas": []},
        {"id": "p2", "context": "", "qas": [{"id": "q", "question": "?", "answers": ["x"]}]}]}]}),
        encoding="utf-8")
    suite = toy_suite(tmp_path)
    suite.write_text(suite.read_text(encoding="utf-8").replace(
        "format: beir-answers, path: " + str(tmp_path / "data") + ", answers: answers.jsonl",
        "format: squad, path: squad.json"), encoding="utf-8")
    code, line = _run(suite, capsys)
    assert code == 2 and "data[0].paragraphs[1].context is missing or empty" in line
    assert str(squad) in line


def test_unknown_reader_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = toy_suite(tmp_path, readers="\n      - {type: extractve}")
    code, line = _run(suite, capsys)
    assert code == 2
    assert 'unknown reader type "extractve" (did you mean "extractive"?)' in line
    assert "available: extractive, llm, openai-compatible" in line
    assert f"{suite}:10" in line  # the line of the bad reader


@pytest.mark.parametrize("edit, needle", [
    (("answers: answers.jsonl", "answer: answers.jsonl"), 'unknown key "answer"'),
    (("top_k: 1", "top_k: 1\n    chunk_size: 100\n    chunk_overlap: 100"),
     "chunk_overlap (100) must be below chunk_size (100)"),
    (("readers: [{type: extractive}]", "readers: [{type: llm, prompt: 'Q: {question}'}]"),
     "prompt must use exactly the placeholders {context} and {question}"),
    (("readers: [{type: extractive}]", "readers: [{type: extractive, passages: 2}]"),
     'reader "extractive" reads passages: 2 but only top_k: 1 are retrieved'),
    (("readers: [{type: extractive}]", "readers: [{type: extractive, sources: [nope]}]"),
     'unknown qa source "nope"'),
    (("readers: [{type: extractive}]", "readers: [{type: extractive, langs: [fr]}]"),
     'reader "extractive" has no question to answer'),
    (("readers: [{type: extractive}]",
      "readers: [{type: llm, model: missing-dir}]"), "model directory"),
])
def test_bad_tier_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                           edit: tuple[str, str], needle: str) -> None:
    suite = toy_suite(tmp_path)
    text = suite.read_text(encoding="utf-8")
    assert edit[0] in text
    suite.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    code, line = _run(suite, capsys)
    assert code == 2 and needle in line and f"{suite}:" in line
