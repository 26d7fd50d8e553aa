"""Metadata filters of queries (BEIR extension), as vector databases apply them (pure).

A document's attributes are its corpus.jsonl ``metadata`` object; a query's ``filter`` object
maps an attribute to a value or a list of values. A document matches when, for every key of
the filter, its attribute (compared as text) is one of the values; a missing attribute does not
match. Exact filtered search is the reference a filtered HNSW search is judged against:
selective filters are where approximate indexes lose recall.

>>> matches({"lang": "zh", "year": 2020}, {"lang": ["zh", "en"], "year": "2020"})
True
>>> matches({"lang": "en"}, {"domain": "legal"})
False
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

Filter = dict[str, list[str]]  # attribute -> accepted values, as text


def as_text(value: Any) -> str:
    """How an attribute value compares: JSON scalars as their JSON text without quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalise(raw: Mapping[str, Any]) -> Filter:
    """A filter object with every value as a list of texts."""
    return {k: [as_text(v) for v in (val if isinstance(val, list) else [val])]
            for k, val in raw.items()}


def matches(meta: Mapping[str, Any], flt: Mapping[str, Any]) -> bool:
    return all(k in meta and as_text(meta[k]) in values
               for k, values in normalise(flt).items())


def allowed(doc_meta: Sequence[Mapping[str, Any]], flt: Filter | None) -> np.ndarray:
    """Boolean mask over the documents a filter lets through (all of them without one)."""
    import numpy as np  # not at the top: the BEIR loader imports this module, `validate` too

    if not flt:
        return np.ones(len(doc_meta), dtype=bool)
    return np.fromiter((matches(m, flt) for m in doc_meta), dtype=bool, count=len(doc_meta))


def exact_filtered(doc_vecs: np.ndarray, query_vecs: np.ndarray,
                   masks: Sequence[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top `k` of each query among its allowed documents: (scores, rows),
    padded with -inf / -1 when fewer documents pass the filter."""
    import numpy as np  # see allowed()

    n = query_vecs.shape[0]
    scores = np.full((n, k), -np.inf, dtype=np.float32)
    idx = np.full((n, k), -1, dtype=np.int64)
    for q in range(n):
        rows = np.flatnonzero(masks[q])
        if rows.size == 0:
            continue
        sims = np.asarray(doc_vecs[rows], dtype=np.float32) @ query_vecs[q]
        top = np.argsort(-sims, kind="stable")[:k]
        scores[q, :top.size], idx[q, :top.size] = sims[top], rows[top]
    return scores, idx
