"""Chunked retrieval: the retrieval tier's sweep of chunking strategies (`tiers.retrieval.chunking`).

For each strategy every document is split into chunks (algorithms.chunking), the chunks are
encoded as passages and searched exactly (faiss inner product) with the queries' vectors of
the unchunked search, and documents are ranked by an aggregation of their chunks' scores
(algorithms.chunk_rank). Qrels stay at document level and metrics are computed by ir-measures
exactly as for the unchunked search, so each strategy's rows (``metric[label]``) are paired
with the unchunked rows on the same queries: mean difference and a seeded bootstrap interval.

Search depth: ``top_k × the most chunks any document has`` (capped at the number of chunks),
so `top_k` distinct documents always come back; FirstP searches first chunks only, at depth
`top_k`. Where clause qrels exist, ``clause-hit@1[label]`` is 1 for a query when the best
chunk of its relevant document (scored directly, whatever the depth) overlaps the clause.
`tokens` splits with the embedder's own (fast) tokenizer when it has one, loading the model
to get it; otherwise with `algorithms.chunking.fallback_tokens`. Pure: no file writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from embedgate.algorithms.chunk_rank import clause_hit, depth_for, rank_documents
from embedgate.algorithms.chunking import (
    Span, Tokenizer, char_spans, clause_spans, fallback_tokens, sentence_spans, token_spans,
)
from embedgate.algorithms.ir import Evaluator, mean, parse_metric
from embedgate.algorithms.search import exact_search, trec_lines
from embedgate.algorithms.stats import bootstrap_ci
from embedgate.embedders.base import Embedder
from embedgate.inputs.beir import Collection
from embedgate.inputs.clauses import ClauseQrels, load_clause_qrels
from embedgate.results.schema import MetricRow, PerQuery
from embedgate.suite import RetrievalTier
from embedgate.suite.tiers_chunking import ChunkingSpec, ChunkStrategy
from embedgate.tiers.context import RunContext

TIER = "retrieval"
CLAUSE_HIT = "clause-hit@1"


@dataclass(frozen=True)
class ChunkedUnit:
    """A collection with its clause qrels (None: the dataset has no clause qrels file)."""

    collection: Collection
    clauses: ClauseQrels | None


@dataclass(frozen=True)
class Chunks:
    spans: list[list[Span]]  # per document
    texts: list[str]
    doc_of: np.ndarray  # chunk -> document index
    first: np.ndarray  # chunk indices of each document's first chunk

    @property
    def most_per_doc(self) -> int:
        return max((len(s) for s in self.spans), default=0)


@dataclass(frozen=True)
class SweepOutput:
    rows: list[MetricRow]
    per_query: list[PerQuery]
    details: dict[str, Any]
    artifacts: dict[str, str]


def prepare_unit(data: Collection, spec: ChunkingSpec) -> ChunkedUnit:
    """Clause qrels are optional only as the unnamed default: a file the suite names, or a
    default that is there but is no readable file (a folder, a loop), must load or fail."""
    path = data.path / spec.clause_qrels
    if "clause_qrels" not in spec.model_fields_set and not (path.exists() or path.is_symlink()):
        return ChunkedUnit(data, None)
    return ChunkedUnit(data, load_clause_qrels(path, data))


def split(text: str, s: ChunkStrategy, tokenize: Tokenizer) -> list[Span]:
    if s.split == "chars":
        return char_spans(text, s.size, s.overlap)
    if s.split == "tokens":
        return token_spans(text, s.size, s.overlap, tokenize)
    if s.split == "sentences":
        return sentence_spans(text, s.size, s.overlap)
    return clause_spans(text, s.size, s.overlap)


def chunk_collection(texts: list[str], s: ChunkStrategy, tokenize: Tokenizer) -> Chunks:
    spans = [split(t, s, tokenize) for t in texts]
    owners = [d for d, doc in enumerate(spans) for _ in doc]
    starts = np.cumsum([0] + [len(doc) for doc in spans])[:-1]
    return Chunks(spans, [texts[d][a:b] for d, doc in enumerate(spans) for a, b in doc],
                  np.asarray(owners, dtype=np.int64),
                  np.asarray([starts[d] for d, doc in enumerate(spans) if doc], dtype=np.int64))


def tokenizer_of(embedder: Embedder) -> tuple[Tokenizer, str]:
    """The embedder's fast tokenizer as character spans, else the fallback; and its name."""
    real = embedder.real() if hasattr(embedder, "real") else embedder
    tok = getattr(getattr(real, "model", None), "tokenizer", None)
    if tok is None or not getattr(tok, "is_fast", False):
        return fallback_tokens, "fallback: one token per CJK character or whitespace run"

    def spans(text: str) -> list[Span]:
        offsets = tok(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False,
                      truncation=False)["offset_mapping"]
        return [(int(a), int(b)) for a, b in offsets if b > a]
    return spans, f"{type(tok).__name__} of {embedder.info.id}"


def sweep(embedder: Embedder, unit: ChunkedUnit, params: RetrievalTier, ctx: RunContext,
          query_vecs: np.ndarray, reference: dict[str, dict[str, float]],
          evaluator: Evaluator) -> SweepOutput:
    """Every strategy's rows, per-query values, details and TREC run."""
    spec = params.chunking
    assert spec is not None
    tokenize, tok_name = (tokenizer_of(embedder) if any(s.split == "tokens" for s in spec.strategies)
                          else (fallback_tokens, ""))
    out = SweepOutput([], [], {"reference": "unchunked", "search": "faiss.IndexFlatIP (exact)",
                               "confidence": spec.confidence, "strategies": []}, {})
    if tok_name:
        out.details["tokenizer"] = tok_name
    if unit.clauses is not None:
        out.details["clause_qrels"] = {"file": unit.clauses.path.name,
                                       "n_queries": len(unit.clauses.clauses),
                                       "n_rows_unknown_query": unit.clauses.n_rows_unknown_query}
    for s in spec.strategies:
        _one(embedder, unit, params, ctx, query_vecs, reference, s, tokenize, out, evaluator)
    return out


def _one(embedder: Embedder, unit: ChunkedUnit, params: RetrievalTier, ctx: RunContext,
         query_vecs: np.ndarray, reference: dict[str, dict[str, float]], s: ChunkStrategy,
         tokenize: Tokenizer, out: SweepOutput, evaluator: Evaluator) -> None:
    data, eid = unit.collection, embedder.info.id
    chunks = chunk_collection(data.doc_texts, s, tokenize)
    vecs = ctx.encode(embedder, chunks.texts, "passage")
    qids = list(data.queries)
    run_dict, depth = _search(chunks, vecs, query_vecs, qids, data.doc_ids, s, params.top_k)
    values = evaluator.per_query(run_dict)
    if unit.clauses is not None:
        values[CLAUSE_HIT] = _clause_hits(unit.clauses, data, chunks, vecs, query_vecs, qids)
    info: dict[str, Any] = {
        "label": s.label, "split": s.split, "size": s.size, "overlap": s.overlap,
        "aggregate": s.how[0], "k": s.how[1], "n_chunks": len(chunks.texts),
        "mean_chunk_chars": float(np.mean([len(t) for t in chunks.texts])) if chunks.texts else 0.0,
        "max_chunks_per_doc": chunks.most_per_doc, "depth": depth, "metrics": {}}
    spec = params.chunking
    assert spec is not None
    for name, per in values.items():
        hib = True if name == CLAUSE_HIT else parse_metric(name).higher_is_better
        metric = f"{name}[{s.label}]"
        out.rows.append(MetricRow(embedder=eid, tier=TIER, dataset=data.id, metric=metric,
                                  value=mean(per), higher_is_better=hib, n_queries=len(per)))
        out.per_query.append(PerQuery(embedder=eid, tier=TIER, dataset=data.id, metric=metric,
                                      values=per))
        info["metrics"][name] = _versus(per, reference.get(name), spec, ctx.seed)
    out.details["strategies"].append(info)
    safe = s.label.replace("/", "-")
    out.artifacts[f"runs/{eid}__{data.id}__{safe}.trec"] = \
        "\n".join(trec_lines(run_dict, f"{eid}[{s.label}]")) + "\n"


def _search(chunks: Chunks, vecs: np.ndarray, query_vecs: np.ndarray, qids: list[str],
            doc_ids: list[str], s: ChunkStrategy, top_k: int
            ) -> tuple[dict[str, dict[str, float]], int]:
    """The document run of one strategy, and the chunk search depth it used."""
    how, k = s.how
    rows = chunks.first if how == "first" else np.arange(len(chunks.texts))
    per_doc = 1 if how == "first" else chunks.most_per_doc
    depth = depth_for(top_k, len(rows), per_doc)
    run_dict: dict[str, dict[str, float]] = {q: {} for q in qids}
    if depth == 0:
        return run_dict, 0
    scores, idx = exact_search(vecs[rows], query_vecs, depth)
    owners = chunks.doc_of[rows].tolist()
    for q, row_s, row_i in zip(qids, scores, idx):
        hits = [(int(i), float(v)) for v, i in zip(row_s, row_i)]
        run_dict[q] = {doc_ids[d]: v for d, v in rank_documents(hits, owners, how, k, top_k)}
    return run_dict, depth


def _clause_hits(clauses: ClauseQrels, data: Collection, chunks: Chunks, vecs: np.ndarray,
                 query_vecs: np.ndarray, qids: list[str]) -> dict[str, float]:
    """Per annotated query: 1.0 when the best chunk of a relevant document overlaps its clause."""
    where = {q: i for i, q in enumerate(qids)}
    first = np.cumsum([0] + [len(doc) for doc in chunks.spans])
    docs = {d: i for i, d in enumerate(data.doc_ids)}
    out: dict[str, float] = {}
    for qid, rows in clauses.clauses.items():
        by_doc: dict[str, list[Span]] = {}
        for doc, a, b in rows:
            by_doc.setdefault(doc, []).append((a, b))
        hit = False
        for doc, spans in by_doc.items():
            d = docs[doc]
            scores = vecs[first[d]:first[d + 1]] @ query_vecs[where[qid]]
            hit = hit or clause_hit(chunks.spans[d], scores.tolist(), spans)
        out[qid] = float(hit)
    return out


def _versus(values: dict[str, float], reference: dict[str, float] | None, spec: ChunkingSpec,
            seed: int) -> dict[str, Any]:
    """Mean, and against the unchunked search: mean difference and its paired interval."""
    out: dict[str, Any] = {"mean": mean(values)}
    if reference is None or len(values) < 2:
        return out
    low, high = bootstrap_ci(values, reference, spec.confidence, spec.n_resamples, seed)
    out.update(reference=mean(reference), delta=mean(values) - mean(reference), ci=[low, high])
    return out
