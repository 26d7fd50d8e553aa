"""Language bias of one ranking on a mixed-language collection: pure maths, no I/O.

Given each query's and document's language, the top-k of every query, its qrels and a per-query
quality value (e.g. nDCG@10):
- ``quality[q][d]``: mean quality of the queries in language q whose relevant documents are in
  language d (the query's *target* language: the language holding most of its relevance
  grade); ``quality[q]["all"]`` over all queries in q;
- ``topk_share[q][d]``: mean over queries in q of the share of their top-k in language d;
- ``corpus_share[d]``: share of the corpus in d; ``relevant_share[q][d]``: share of the
  relevant (grade > 0) judgements of queries in q that point at documents in d;
- same-language preference of q = topk_share[q][q] - corpus_share[q] (per query, then the mean):
  above 0 the embedder ranks its own language higher than a language-blind ranking would.

>>> b = language_bias({"q": "zh"}, {"a": "zh", "b": "en"}, {"q": ["a"]}, {"q": {"a": 1}},
...                   {"q": 1.0}, k=1)
>>> b.topk_share["zh"]["zh"], b.corpus_share["zh"], b.preference["zh"]
(1.0, 0.5, 0.5)
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

ALL = "all"


@dataclass(frozen=True)
class LanguageBias:
    langs: list[str]  # query and document languages, sorted
    quality: dict[str, dict[str, float]]  # query lang -> target lang (or "all") -> mean
    quality_n: dict[str, dict[str, int]]
    quality_values: dict[str, dict[str, dict[str, float]]]  # same keys -> {qid: value}
    topk_share: dict[str, dict[str, float]]
    corpus_share: dict[str, float]
    relevant_share: dict[str, dict[str, float]]
    preference: dict[str, float]  # query lang -> mean same-language preference
    preference_values: dict[str, dict[str, float]]  # query lang -> {qid: preference}


def target_lang(judged: Mapping[str, int], doc_lang: Mapping[str, str]) -> str | None:
    """The language holding most of a query's relevance grade (ties: alphabetical first)."""
    grades: Counter[str] = Counter()
    for doc, grade in judged.items():
        if grade > 0 and doc in doc_lang:
            grades[doc_lang[doc]] += grade
    if not grades:
        return None
    return sorted(grades.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def language_bias(query_lang: Mapping[str, str], doc_lang: Mapping[str, str],
                  ranked: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]],
                  values: Mapping[str, float], k: int) -> LanguageBias:
    """The matrices above for the queries in ``values`` (ranked lists are cut at k)."""
    langs = sorted(set(doc_lang.values()) | {query_lang[q] for q in values})
    corpus = Counter(doc_lang.values())
    corpus_share = {d: corpus[d] / max(1, len(doc_lang)) for d in langs}
    quality_values: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    shares: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    relevant: dict[str, Counter[str]] = defaultdict(Counter)
    preference_values: dict[str, dict[str, float]] = defaultdict(dict)
    for qid, value in values.items():
        ql = query_lang[qid]
        judged = qrels.get(qid, {})
        quality_values[ql][ALL][qid] = value
        target = target_lang(judged, doc_lang)
        if target is not None:
            quality_values[ql][target][qid] = value
        relevant[ql].update(doc_lang[d] for d, g in judged.items() if g > 0 and d in doc_lang)
        top = [doc_lang.get(d, "und") for d in list(ranked.get(qid, ()))[:k]]
        for d in langs:
            shares[ql][d].append(top.count(d) / len(top) if top else 0.0)
        preference_values[ql][qid] = shares[ql][ql][-1] - corpus_share.get(ql, 0.0)
    return LanguageBias(
        langs=langs,
        quality={q: {t: float(np.mean(list(v.values()))) for t, v in by.items()}
                 for q, by in quality_values.items()},
        quality_n={q: {t: len(v) for t, v in by.items()} for q, by in quality_values.items()},
        quality_values={q: {t: dict(v) for t, v in by.items()} for q, by in quality_values.items()},
        topk_share={q: {d: float(np.mean(s)) for d, s in by.items()} for q, by in shares.items()},
        corpus_share=corpus_share,
        relevant_share={q: {d: c[d] / max(1, sum(c.values())) for d in langs}
                        for q, c in relevant.items()},
        preference={q: float(np.mean(list(v.values()))) for q, v in preference_values.items()},
        preference_values={q: dict(v) for q, v in preference_values.items()})
