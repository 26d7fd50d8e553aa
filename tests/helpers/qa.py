"""A constructed QA case whose outcome is known per question, shared by the QA tests.

With the keyword embedder and top_k 1: q1 is answered right; q2's gold document shares no word
with the question, so a distractor is retrieved (retrieval miss); q3's document is retrieved
but its first sentence, not the one with the answer, repeats the question (reader error).
"""
from __future__ import annotations

import json
from pathlib import Path

from embedgate.suite import load_suite
from embedgate.tiers.context import RunContext
from embedgate.results.schema import TierResult
from embedgate.tiers.qa import tier as qa

from tests.conftest import write_beir
from tests.fakes.keyword_embedder import KeywordEmbedder

CORPUS = [
    {"_id": "d1", "text": "The aspirin dose is 100 mg daily. Aspirin is old."},
    {"_id": "d2", "text": "Colchicine relieves acute attacks."},
    {"_id": "d3", "text": "Which drug treats gout flares is a common exam question."},
    {"_id": "d4", "text": "How long is the warfarin course is debated. It lasts three months."},
    {"_id": "d5", "text": "Unrelated text about bank transfers and fees."},
]
ANSWERS = [json.dumps({"id": q, "question": text, "answers": [answer], "doc_id": doc})
           for q, text, answer, doc in [
               ("q1", "what is the aspirin dose", "100 mg", "d1"),
               ("q2", "which drug treats gout flares", "colchicine", "d2"),
               ("q3", "how long is the warfarin course", "three months", "d4")]]
EXPECTED = {"q1": "correct", "q2": "retrieval_miss", "q3": "reader_error"}


def toy_suite(tmp_path: Path, readers: str = "[{type: extractive}]",
              model: str = "packaged:all-MiniLM-L6-v2") -> Path:
    """A suite whose qa tier reads the constructed case (`run_toy` loads no embedder)."""
    data = write_beir(tmp_path / "data", CORPUS, [{"_id": "x", "text": "x"}], [("x", "d1", 1)])
    (tmp_path / "answers.jsonl").write_text("\n".join(ANSWERS) + "\n", encoding="utf-8")
    path = tmp_path / "suite.yaml"
    path.write_text(f"""name: qa-constructed
embedders:
  - {{id: kw, kind: sentence-transformers, model: "{model}"}}
tiers:
  qa:
    top_k: 1
    sources:
      - {{id: toy, format: beir-answers, path: {data}, answers: answers.jsonl}}
    readers: {readers}
""", encoding="utf-8")
    return path


def run_toy(suite: Path) -> TierResult:
    """prepare + run of the qa tier with the keyword embedder (no model is loaded)."""
    loaded = load_suite(suite)
    params = loaded.suite.tiers.qa
    assert params is not None
    [(source, unit)] = qa.prepare(params, loaded, {})
    assert source == "toy"
    return qa.run(KeywordEmbedder(dim=4096), unit, params, RunContext(progress=False))


def attributions(result: TierResult, reader: str) -> dict[str, str]:
    return {q["id"]: q["readers"][reader]["attribution"] for q in result.details["questions"]
            if reader in q["readers"]}
