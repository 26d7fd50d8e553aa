"""Mixed collections: two or more sources merged into one `Collection`, ids prefixed.

Each part contributes queries (a seeded sample of `max_queries`), their judgements, and
documents: all of them, or with `max_docs` the relevant documents of the kept queries plus a
seeded sample of the rest up to `max_docs` (so no kept query loses its answer). SQuAD parts judge
each question relevant (grade 1) to its own context. Ids become "<prefix>:<id>" so sources never
collide. Samples are drawn from the suite seed and the part's prefix: reruns are identical.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedgate.inputs.beir import Collection, DatasetStats, load_beir
from embedgate.suite.tiers_language import MixedPart, MixedSource
from embedgate.tiers.qa.data import load_squad


@dataclass(frozen=True)
class Part:
    """One source before merging: documents, queries and judgements, ids not yet prefixed."""

    doc_ids: list[str]
    doc_texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    sha256: str


def sample(ids: list[str], n: int | None, seed: int, salt: str) -> list[str]:
    """At most n ids drawn with (seed, salt), kept in input order; all when n is None."""
    if n is None or n >= len(ids):
        return list(ids)
    digest = hashlib.sha256(f"{seed}:{salt}".encode()).digest()
    order = np.random.default_rng(int.from_bytes(digest[:8], "little")).permutation(len(ids))
    return [ids[i] for i in sorted(order[:n])]


def read_part(spec: MixedPart, path: Path) -> Part:
    if spec.format == "squad":
        coll = load_squad(spec.prefix, path)
        return Part(coll.doc_ids, coll.doc_texts, {it.id: it.question for it in coll.items},
                    {it.id: {it.doc_id: 1} for it in coll.items}, coll.sha256)
    beir = load_beir(spec.prefix, path, spec.split)
    return Part(beir.doc_ids, beir.doc_texts, beir.queries, beir.qrels, beir.sha256)


def bounded(part: Part, spec: MixedPart, seed: int) -> Part:
    """The part cut to its seeded query sample and document budget."""
    qids = sample(list(part.queries), spec.max_queries, seed, f"mixed-queries:{spec.prefix}")
    qrels = {q: part.qrels[q] for q in qids}
    keep = set(part.doc_ids)
    if spec.max_docs is not None:
        needed = {d for judged in qrels.values() for d, g in judged.items() if g > 0}
        others = [d for d in part.doc_ids if d not in needed]
        keep = needed | set(sample(others, max(0, spec.max_docs - len(needed)), seed,
                                   f"mixed-docs:{spec.prefix}"))
    docs = [(d, t) for d, t in zip(part.doc_ids, part.doc_texts) if d in keep]
    qrels = {q: {d: g for d, g in judged.items() if d in keep} for q, judged in qrels.items()}
    return Part([d for d, _ in docs], [t for _, t in docs], {q: part.queries[q] for q in qids},
                qrels, part.sha256)


def merge(source: MixedSource, parts: list[Part], root: Path) -> Collection:
    """One collection of the bounded parts, every id prefixed "<prefix>:"."""
    doc_ids, texts, queries, qrels = [], [], {}, {}
    for spec, part in zip(source.parts, parts):
        p = f"{spec.prefix}:"
        doc_ids += [p + d for d in part.doc_ids]
        texts += part.doc_texts
        queries.update({p + q: t for q, t in part.queries.items()})
        qrels.update({p + q: {p + d: g for d, g in j.items()} for q, j in part.qrels.items()})
    n_qrels = sum(len(j) for j in qrels.values())
    stats = DatasetStats(n_docs=len(doc_ids), n_queries_in_file=len(queries),
                         n_queries_evaluated=len(queries), n_queries_without_qrels=0,
                         n_queries_empty_text=0,
                         n_queries_no_relevant=sum(1 for j in qrels.values()
                                                   if max(j.values(), default=0) <= 0),
                         n_qrels=n_qrels, n_qrels_unknown_query=0, n_qrels_unknown_doc_dropped=0)
    sha = hashlib.sha256((source.model_dump_json() + "".join(p.sha256 for p in parts))
                         .encode()).hexdigest()
    return Collection(id=source.id, path=root, split="mixed", doc_ids=doc_ids, doc_texts=texts,
                      queries=queries, qrels=qrels, sha256=sha, stats=stats)
