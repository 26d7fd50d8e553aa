"""CMRC 2018 (Chinese, SQuAD format) through the QA tier: m3e-small + the extractive reader."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.results.schema import RunResult

from tests.conftest import SHARED

CMRC = SHARED / "datasets" / "cmrc2018" / "cmrc2018_trial.json"


@pytest.mark.slow
@pytest.mark.skipif(not CMRC.is_file(), reason="../shared/datasets/cmrc2018 is not present")
def test_cmrc2018_sample_end_to_end(tmp_path: Path) -> None:
    suite = tmp_path / "cmrc.yaml"
    suite.write_text(f"""name: cmrc-qa
seed: 5
embedders:
  - {{id: m3e, kind: sentence-transformers, model: "packaged:m3e-small", max_seq_length: 256}}
tiers:
  qa:
    top_k: 5
    chunk_size: 250
    chunk_overlap: 50
    max_questions: 30
    sources:
      - {{id: cmrc, format: squad, path: "{CMRC}"}}
    readers:
      - {{type: extractive}}
""", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(suite), "--out", str(out), "-q", "--threads", "2"]) == 0
    result = RunResult.load(out / "results.json")

    def value(metric: str) -> float:
        row = result.metric("m3e", "qa", "cmrc", metric)
        assert row is not None and row.n_queries == 30
        return row.value

    details = result.details["qa/m3e/cmrc"]
    assert details["source"]["n_docs"] == 256 and details["source"]["n_chunks"] > 256
    assert details["source"]["n_questions_in_file"] == 1002 and len(details["questions"]) == 30
    print({m: round(value(m), 3) for m in ("answer@5", "gold_doc@5", "extractive:accuracy",
                                            "extractive:gold_accuracy", "extractive:F1")})
    # Measured (seed 5): gold_doc@5 1.0, answer@5 0.73 (the best chunk of a retrieved context
    # need not hold the answer), accuracy 0.47, gold_accuracy 0.67, F1 0.22.
    assert 0.7 <= value("gold_doc@5") <= 1.0
    assert 0.5 <= value("answer@5") <= 1.0
    assert 0.2 <= value("extractive:accuracy") <= value("extractive:gold_accuracy") + 0.1
    assert value("extractive:retrieval_miss") <= 1 - value("answer@5") + 1e-9
    assert 0.0 < value("extractive:F1") < 1.0
    total = value("extractive:accuracy") + value("extractive:retrieval_miss") + value(
        "extractive:reader_error")
    assert total == pytest.approx(1.0)
