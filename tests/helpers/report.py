"""Real results for report tests, cheaply: a suite's tiers run with keyword embedders.

`keyword_result` does what `runner.run_suite` does (load datasets, prepare every tier, run each
embedder through it, assemble the RunResult), except that the embedders are the deterministic
keyword embedders instead of models, so a test gets real tier details in milliseconds.
"""
from __future__ import annotations

import json
from pathlib import Path

from embedgate.run import runner
from embedgate.suite import load_suite
from embedgate.tiers.context import RunContext
from embedgate.results.schema import RunResult

from tests.conftest import write_beir
from tests.fakes.keyword_embedder import KeywordEmbedder

XSS = "<script>alert('pwned')</script>"
IMG = '<img src=x onerror="alert(1)">'


def keyword_result(suite: Path, embedders: list[KeywordEmbedder]) -> RunResult:
    """The suite's per-embedder tiers with these embedders (ids must match the suite's)."""
    loaded = load_suite(suite)
    datasets = runner.load_datasets(loaded)
    jobs = runner.plan_jobs(loaded, datasets)
    ctx = RunContext(seed=loaded.suite.seed, threads=1, progress=False)
    results = [job.impl.run(emb, job.data, job.params, ctx)
               for emb in embedders for job in jobs if job.wants(emb.info.id)]
    infos = {e.info.id: {**e.info.to_dict(), "load_s": 0.0} for e in embedders}
    return runner.assemble(loaded, datasets, infos, results, ctx, 0.0)


CORPUS = [
    {"_id": "d1", "text": f"apple banana cherry {XSS}"},
    {"_id": "d2", "text": "delta echo foxtrot"},
    {"_id": "d3", "text": f"golf hotel india {IMG}"},
    {"_id": "d4", "text": "juliet kilo lima"},
    {"_id": "d5", "text": "mike november oscar"},
    {"_id": "d6", "text": "papa quebec romeo"},
]
QUERIES = [
    {"_id": "q1", "text": f"apple banana {XSS}"},
    {"_id": "q2", "text": "golf hotel"},
    {"_id": "q3", "text": "mike november"},
    {"_id": "q4", "text": "papa quebec"},
]
QRELS = [("q1", "d1", 1), ("q2", "d3", 1), ("q3", "d5", 1), ("q4", "d6", 1)]

PAIRS = "\n".join(["group\tanchor\tcandidate\tlabel\tdomain\tlanguage"] + [
    "\t".join(row) for row in [
        ("g1", "apple banana", f"banana apple {XSS}", "synonym", "food", "en"),
        ("g1", "apple banana", "cherry delta", "related", "food", "en"),
        ("g1", "apple banana", "papa quebec", "unrelated", "food", "en"),
        ("g2", "golf hotel", "hotel golf", "synonym", "radio", "en"),
        ("g2", "golf hotel", "golf juliet", "related", "radio", "en"),
        ("g2", "golf hotel", "mike oscar", "unrelated", "radio", "en"),
        ("g3", "mike november", "november mike", "synonym", "radio", "en"),
        ("g3", "mike november", "mike november oscar", "related", "radio", "en"),
        ("g3", "mike november", "apple", "unrelated", "radio", "en"),
    ]]) + "\n"


def intent_csv() -> str:
    rows = ["text,label"]
    for i in range(6):
        rows += [f"open account number {i},open", f"close account now {i},close",
                 f"card lost today {i},card"]
    rows.append(f'"{IMG} open account please",open')
    return "\n".join(rows) + "\n"


def write_toy_suite(root: Path, tiers: str | None = None) -> Path:
    """A two-embedder suite over hostile-text fixtures; `tiers` replaces the default tiers."""
    data = write_beir(root / "data", CORPUS, QUERIES, QRELS)
    (root / "pairs.tsv").write_text(PAIRS, encoding="utf-8")
    (root / "intents.csv").write_text(intent_csv(), encoding="utf-8")
    default = """  retrieval: {metrics: [nDCG@5, RR@5], top_k: 6}
  intrinsic:
    pairs: [{id: toy-pairs, type: tsv, path: pairs.tsv}]
  intent:
    sources: [{id: toy-intents, path: intents.csv}]
    k: 3
    folds: 3
  space_map:
    sources:
      - {id: toy-intents, kind: intent, path: intents.csv}
      - {id: toy, kind: dataset}
"""
    suite = root / "suite.yaml"
    suite.write_text(f"""name: report-toy
description: "hostile texts {json.dumps(XSS)[1:-1]}"
seed: 7
embedders:
  - {{id: kw-good, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2"}}
  - {{id: kw-flat, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2"}}
datasets:
  - {{id: toy, format: beir, path: {data}, split: test}}
tiers:
{tiers or default}""", encoding="utf-8")
    return suite


def toy_embedders() -> list[KeywordEmbedder]:
    """kw-good separates the toy texts; kw-flat (one bucket) scores every text the same."""
    return [KeywordEmbedder("kw-good", dim=256), KeywordEmbedder("kw-flat", dim=1)]
