"""What the semantic-space map draws: items (text, role, labels, links) from three kinds of source.

- intent utterances, labelled by intent;
- a BEIR dataset's queries with their relevant passages, linked; the labelling "link" puts
  each connected query–passage component in one cluster (a passage relevant to two queries
  joins them);
- synonym / translation groups of a pair TSV (anchor + positives), labelled by group.

Sources larger than `max_points` are cut down by a seeded draw of whole units (an utterance,
a query with its passages, a group), so every embedder is drawn over the same items.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.algorithms.graph import components
from embedgate.inputs.beir import Collection, content_hash
from embedgate.embedders.base import Role
from embedgate.infra.errors import InputError
from embedgate.inputs.intents import IntentSet
from embedgate.inputs.pairs import load_tsv

SNIPPET = 80  # characters of a text kept beside its point (hover text in the report)


@dataclass(frozen=True)
class MapItems:
    """Items of one source, in draw order. `scored` labellings get a silhouette metric row
    (higher is better); `descriptive` ones are reported in details without a direction."""

    id: str
    kind: str
    ids: list[str]
    texts: list[str]
    roles: list[Role]
    scored: dict[str, list[str]]
    descriptive: dict[str, list[str]] = field(default_factory=dict)
    links: list[tuple[int, int]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


class _Builder:
    """Accumulates items, refusing a unit that would overflow `limit` points."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.roles: list[Role] = []
        self.labels: dict[str, list[str]] = {}
        self.index: dict[str, int] = {}

    def fits(self, n_new: int) -> bool:
        return len(self.ids) + n_new <= self.limit

    def add(self, item_id: str, text: str, role: Role, labels: dict[str, str]) -> int:
        if item_id in self.index:
            return self.index[item_id]
        self.index[item_id] = len(self.ids)
        self.ids.append(item_id)
        self.texts.append(text)
        self.roles.append(role)
        for name, value in labels.items():
            self.labels.setdefault(name, []).append(value)
        return self.index[item_id]


def from_intents(ds: IntentSet, limit: int, rng: np.random.Generator) -> MapItems:
    order = sorted(rng.permutation(len(ds.items))[:limit].tolist())
    items = [ds.items[i] for i in order]
    return MapItems(id=ds.id, kind="intent", ids=[it.id for it in items],
                    texts=[it.text for it in items], roles=["query"] * len(items),
                    scored={"label": [it.label for it in items]},
                    meta={"path": str(ds.path), "sha256": ds.sha256, "n_available": len(ds.items)})


def from_collection(col: Collection, limit: int, rng: np.random.Generator) -> MapItems:
    """Queries in a seeded order, each with its relevant passages, while they fit."""
    b = _Builder(limit)
    links: list[tuple[int, int]] = []
    qids = list(col.queries)
    for qi in rng.permutation(len(qids)).tolist():
        qid = qids[qi]
        rel = [d for d, r in col.qrels[qid].items() if r > 0]
        if not rel:
            continue
        if not b.fits(1 + sum(1 for d in rel if f"d:{d}" not in b.index)):
            break
        q = b.add(f"q:{qid}", col.queries[qid], "query", {"role": "query"})
        links += [(q, b.add(f"d:{d}", col.doc_text(d), "passage", {"role": "passage"})) for d in rel]
    if not b.ids:
        raise InputError(f"{col.path}: no query with a relevant passage fits in max_points={limit}")
    return MapItems(id=col.id, kind="dataset", ids=b.ids, texts=b.texts, roles=b.roles,
                    scored={"link": components(len(b.ids), links)},
                    descriptive={"role": b.labels["role"]}, links=links,
                    meta={"path": str(col.path), "split": col.split, "sha256": col.sha256,
                          "n_available": len(qids), "unit": "query"})


def from_pairs(source_id: str, path: Path, limit: int, rng: np.random.Generator) -> MapItems:
    """Anchor + positive candidates of each group (the intrinsic tier's loader checks the file),
    whole groups in a seeded order while they fit."""
    groups = load_tsv(path)
    b = _Builder(limit)
    for gi in rng.permutation(len(groups)).tolist():
        g = groups[gi]
        terms = [g.anchor] + [c.text for c in g.candidates if c.positive]
        if not b.fits(len(terms)):
            break
        for j, term in enumerate(terms):
            b.add(f"{g.id}#{j}", term, "query", {"group": g.id, "domain": g.domain})
    if not b.ids:
        raise InputError(f"{path}: no synonym group fits in max_points={limit}")
    return MapItems(id=source_id, kind="pairs", ids=b.ids, texts=b.texts, roles=b.roles,
                    scored={"group": b.labels["group"]},
                    descriptive={"domain": b.labels["domain"]},
                    meta={"path": str(path), "sha256": content_hash([path]),
                          "n_available": len(groups), "unit": "group"})


def snippet(text: str) -> str:
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"
