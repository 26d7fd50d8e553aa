"""What the report's "what got worse" drill-down needs from one retrieval run, kept compact.

The report renders from results JSON alone, so the retrieval tier saves, per evaluated query:
the top-`TOP` retrieved doc ids and the rank of every relevant doc (None when it is not in
the run's top_k), plus the texts of the queries and of the passages those lists mention,
clipped to `TEXT_CHARS`. At most `MAX_QUERIES` queries are kept (the first by sorted qid, so
a baseline and a current run of the same data keep the same ones); `n_saved` says how many.

>>> from types import SimpleNamespace as NS
>>> data = NS(queries={"q1": "cat?"}, qrels={"q1": {"d2": 1}}, doc_ids=["d1", "d2"],
...           doc_texts=["dogs", "cats"])
>>> out = drilldown(data, {"q1": {"d1": 0.9, "d2": 0.5}})
>>> out["queries"]["q1"], out["doc_text"]
({'top': ['d1', 'd2'], 'rel': {'d2': 2}}, {'d1': 'dogs', 'd2': 'cats'})
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

TOP = 5
MAX_QUERIES = 1000
TEXT_CHARS = 240


class _Collection(Protocol):
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    doc_ids: list[str]
    doc_texts: list[str]


def ranked(docs: Mapping[str, float]) -> list[str]:
    """Doc ids best first; equal scores by doc id descending, as trec_eval breaks ties (so the
    ranks shown agree with the per-query metric values ir-measures computed)."""
    return [d for d, _ in sorted(docs.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]


def clip(text: str, limit: int = TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def drilldown(data: _Collection, run: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """The compact per-query record described in the module docstring."""
    qids = sorted(q for q in data.queries if q in data.qrels)[:MAX_QUERIES]
    queries: dict[str, dict[str, Any]] = {}
    mentioned: set[str] = set()
    for q in qids:
        order = ranked(run.get(q, {}))
        position = {d: i for i, d in enumerate(order, 1)}
        rel = {d: position.get(d) for d, grade in sorted(data.qrels[q].items()) if grade > 0}
        queries[q] = {"top": order[:TOP], "rel": rel}
        mentioned.update(order[:TOP], rel)
    doc_text = {d: clip(t) for d, t in zip(data.doc_ids, data.doc_texts) if d in mentioned}
    return {"k": TOP, "n_queries": len(data.queries), "n_saved": len(qids),
            "text_chars": TEXT_CHARS, "queries": queries,
            "query_text": {q: clip(data.queries[q]) for q in qids},
            "doc_text": dict(sorted(doc_text.items()))}
