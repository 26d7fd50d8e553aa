"""Language-bias tier: on a mixed-language collection, retrieval quality per query language ×
target language, and which languages the top-k comes from against the corpus and the qrels.

Per collection (a suite dataset, or a `mixed` one merged from two sources): encode, exact
search (the retrieval tier's `search`), score the tier's metric per query, then
algorithms/language_bias.py. Languages: a document's metadata `lang`, else detected by CJK
share (langs.py); queries are always detected. Rows, all with per-query values:
- ``<metric>[q=L]`` and ``<metric>[q=L,d=T]`` (higher is better): quality of the queries in L,
  and of those whose relevant documents are in T (T != L: cross-lingual queries);
- ``same_lang_pref@k[q=L]`` (lower is better): share of L documents in the top-k minus their
  share in the corpus. Read it beside the share of L among the relevant documents (details): a
  preference the qrels do not call for is bias.
"""
from __future__ import annotations

import time
from typing import Any

from embedgate.algorithms.ir import parse_metric, per_query
from embedgate.algorithms.language_bias import ALL, LanguageBias, language_bias
from embedgate.algorithms.search import exact_search, to_run
from embedgate.embedders.base import Embedder
from embedgate.inputs.beir import Collection
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.suite import LoadedSuite
from embedgate.suite.tiers_language import LanguageBiasTier
from embedgate.tiers import Unit
from embedgate.tiers.context import RunContext
from embedgate.tiers.language_bias.langs import detect_lang, doc_langs
from embedgate.tiers.language_bias.mixed import bounded, merge, read_part

TIER = "language_bias"


def prepare(params: LanguageBiasTier, loaded: LoadedSuite,
            datasets: dict[str, Collection]) -> list[Unit]:
    units: list[Unit] = [(did, datasets[did]) for did in params.datasets or list(datasets)]
    for source in params.mixed:
        parts = [bounded(read_part(p, loaded.resolve(p.path)), p, loaded.suite.seed)
                 for p in source.parts]
        units.append((source.id, merge(source, parts, loaded.base_dir)))
    return units


def run(embedder: Embedder, data: Collection, params: LanguageBiasTier,
        ctx: RunContext) -> TierResult:
    t0 = time.perf_counter()
    doc_vecs = ctx.encode(embedder, data.doc_texts, "passage")
    qids = list(data.queries)
    query_vecs = ctx.encode(embedder, [data.queries[q] for q in qids], "query")
    encode_s = time.perf_counter() - t0
    scores, idx = exact_search(doc_vecs, query_vecs, params.top_k)
    run_dict = to_run(qids, data.doc_ids, scores, idx)
    metric = parse_metric(params.metric)
    values = per_query([metric], data.qrels, run_dict)[metric.name]
    ranked = {q: [data.doc_ids[j] for j in idx[i] if j >= 0] for i, q in enumerate(qids)}
    d_lang, n_detected = doc_langs(data.doc_ids, data.doc_texts, data.meta, params.cjk_share)
    q_lang = {q: detect_lang(data.queries[q], params.cjk_share) for q in qids}
    bias = language_bias(q_lang, d_lang, ranked, data.qrels, values, params.top_k)
    details = {"metric": metric.name, "top_k": params.top_k, "langs": bias.langs,
               "n_docs": len(data.doc_ids), "n_queries": len(qids),
               "n_docs_lang_detected": n_detected, "cjk_share_threshold": params.cjk_share,
               "quality": bias.quality, "quality_n": bias.quality_n,
               "topk_share": bias.topk_share, "corpus_share": bias.corpus_share,
               "relevant_share": bias.relevant_share, "same_lang_pref": bias.preference,
               "search": "faiss.IndexFlatIP (exact)"}
    rows, pqs = _rows(embedder.info.id, data.id, metric.name, params.top_k, bias)
    return TierResult(tier=TIER, embedder=embedder.info.id, dataset=data.id, metrics=rows,
                      per_query=pqs, details=details,
                      timings={"encode_s": encode_s, "total_s": time.perf_counter() - t0})


def _rows(eid: str, did: str, metric: str, k: int,
          bias: LanguageBias) -> tuple[list[MetricRow], list[PerQuery]]:
    named: list[tuple[str, dict[str, float], bool]] = []
    for ql, by_target in bias.quality_values.items():
        for target, vals in sorted(by_target.items(), key=lambda kv: kv[0] != ALL):
            label = f"q={ql}" if target == ALL else f"q={ql},d={target}"
            named.append((f"{metric}[{label}]", vals, True))
        named.append((f"same_lang_pref@{k}[q={ql}]", bias.preference_values[ql], False))
    rows = [MetricRow(embedder=eid, tier=TIER, dataset=did, metric=name, n_queries=len(vals),
                      value=sum(vals.values()) / len(vals), higher_is_better=up)
            for name, vals, up in named]
    pqs = [PerQuery(embedder=eid, tier=TIER, dataset=did, metric=name, values=vals)
           for name, vals, _ in named]
    return rows, pqs


def describe(details: dict[str, Any]) -> str:
    """One line per query language for logs and docs: quality, same-language share vs corpus."""
    lines = []
    for ql, share in details["topk_share"].items():
        lines.append(f"q={ql}: {details['metric']}={details['quality'][ql][ALL]:.3f} "
                     f"top-{details['top_k']} same-language {share.get(ql, 0):.2f} vs corpus "
                     f"{details['corpus_share'].get(ql, 0):.2f}, relevant "
                     f"{details['relevant_share'].get(ql, {}).get(ql, 0):.2f}")
    return "\n".join(lines)
