"""The chat judge's mechanics with a real local chat model: SmolLM2-135M-Instruct (the packaged
GGUF the QA tier reads with) served on loopback, a handful of pooled pairs.

Measured here: greedy SmolLM2-135M does not keep UMBRELA's format (it answers
"##final score: 100 …" or repeats the passage), so embedgate refuses its labels as an
infrastructure error (exit 4) and leaves the results and the judging file untouched.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.labels.llm_judge import messages
from embedgate.suite.tiers_qa import LlmReaderSpec
from embedgate.tiers.qa.readers.llm import LlmReader

from tests.conftest import write_beir
from tests.fakes.servers.judge_server import running

CORPUS = [{"_id": "d1", "text": "Scurvy is caused by a lack of vitamin C in the diet."},
          {"_id": "d2", "text": "Vitamin C is found in citrus fruit such as oranges."},
          {"_id": "d3", "text": "The Eiffel Tower stands in Paris."},
          {"_id": "d4", "text": "Rickets is caused by a lack of vitamin D."}]
QUERIES = [{"_id": "q1", "text": "what causes scurvy"},
           {"_id": "q2", "text": "where is the eiffel tower"}]


@pytest.mark.slow
def test_smollm2_served_on_loopback_is_refused_off_scale(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    data = write_beir(tmp_path / "data", CORPUS, QUERIES, [("q1", "d1", 1), ("q2", "d3", 1)])
    (tmp_path / "suite.yaml").write_text(
        f"name: tiny\nembedders:\n  - {{id: bm25, kind: bm25}}\ndatasets:\n"
        f"  - {{id: tiny, format: beir, path: {data}, split: test}}\n"
        "tiers:\n  retrieval: {metrics: [P@2], top_k: 2}\n", encoding="utf-8")
    out = tmp_path / "o"
    assert main(["run", str(tmp_path / "suite.yaml"), "--out", str(out), "-q",
                 "--no-gates"]) == 0
    before = (out / "results.json").read_bytes()
    reader = LlmReader(LlmReaderSpec(type="llm", id="judge", max_new_tokens=12), where="test")
    reader._load()  # before capturing: its progress bars are not embedgate's output
    answers: list[str] = []

    def grade(query: str, passage: str) -> str:
        answers.append(reader._generate_all([messages(query, passage)], False)[0])
        return answers[-1]

    with running(grade) as server:
        (tmp_path / "judge.yaml").write_text(
            f"judge:\n  type: openai-compatible\n  base_url: {server.base_url}\n"
            "  model: smollm2-135m\n  calibration: 4\n  max_concurrency: 1\n  timeout_s: 600\n",
            encoding="utf-8")
        capsys.readouterr()
        code = main(["pool", str(out / "results.json"), "--depth", "2", "--out",
                     str(tmp_path / "pool.jsonl"), "--judge", str(tmp_path / "judge.yaml")])
    err = capsys.readouterr().err.strip()
    assert answers, "the model was never asked"
    assert code == 4 and len(err.splitlines()) == 1 and "off the 0-3 scale" in err, (code, err)
    assert not (tmp_path / "pool.jsonl").exists()
    assert (out / "results.json").read_bytes() == before
    print(json.dumps(answers[:4]))
