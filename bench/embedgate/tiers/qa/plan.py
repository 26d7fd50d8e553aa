"""Preparing the QA tier's inputs: load each source, select its questions, plan the readers.

Everything here runs once per suite before any model is loaded, so bad input (missing
answers, empty contexts, an unset API key variable, a missing GGUF file) fails in seconds.
Samples (`max_questions`) are drawn with the suite seed; a smaller sample is a subset of a
larger one, and every reader asked for n questions of a source gets the same n questions.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from embedgate.suite import LoadedSuite, QASource, QATier
from embedgate.infra.errors import InputError
from embedgate.inputs.ratings import RatingSet
from embedgate.tiers.qa.data import QACollection, QAItem, gold_passage
from embedgate.tiers.qa.files import load_source, load_unit_ratings
from embedgate.tiers.qa.gencache import cache_file
from embedgate.tiers.qa.readers import build_reader
from embedgate.tiers.qa.readers.base import Reader
from embedgate.tiers.qa.retrieve import ChunkedCorpus, chunk_corpus


@dataclass(frozen=True)
class ReaderPlan:
    reader: Reader
    type: str
    correct: str  # "contains" | "exact"
    item_ids: tuple[str, ...]
    passages: int | None  # how many of the retrieved passages it reads (None: all)


@dataclass(frozen=True)
class QAUnit:
    """One source, ready to run for every embedder (readers are shared, loaded once)."""

    collection: QACollection
    items: list[QAItem]
    corpus: ChunkedCorpus
    gold: dict[str, str]  # question id -> gold passage (the chunk of the gold doc with an answer)
    plans: list[ReaderPlan]
    info: dict[str, Any] = field(default_factory=dict)
    ratings: RatingSet | None = None  # tiers.qa.ratings, checked against every source


def seeded_sample(items: list[QAItem], n: int | None, seed: int, salt: str) -> list[QAItem]:
    """At most n items drawn with (seed, salt), kept in file order; all of them when n is None."""
    if n is None or n >= len(items):
        return list(items)
    digest = hashlib.sha256(f"{seed}:{salt}".encode()).digest()
    order = np.random.default_rng(int.from_bytes(digest[:8], "little")).permutation(len(items))
    return [items[i] for i in sorted(order[:n])]


def _in_langs(items: list[QAItem], langs: list[str] | None) -> list[QAItem]:
    return list(items) if langs is None else [it for it in items if it.lang in langs]


def prepare_units(params: QATier, loaded: LoadedSuite) -> list[tuple[str, QAUnit]]:
    seed = loaded.suite.seed
    cache_path = cache_file(loaded)
    readers = [build_reader(spec, loaded.where(("tiers", "qa", "readers", i)), loaded.base_dir,
                            cache_path) for i, spec in enumerate(params.readers)]
    units: list[tuple[str, QAUnit]] = []
    for i, src in enumerate(params.sources):
        coll = load_source(src, loaded, i)
        pool = _in_langs(coll.items, src.langs)
        limit = src.max_questions or params.max_questions
        items = seeded_sample(pool, limit, seed, f"qa:{src.id}")
        if not items:
            raise InputError(f"{loaded.where(('tiers', 'qa', 'sources', i))}: qa source "
                             f'"{src.id}" has no question in langs {src.langs}; '
                             f"languages present: {sorted({it.lang for it in coll.items})}")
        plans = _plans(params, src.id, items, readers, seed)
        units.append((src.id, _unit(params, coll, items, plans, src, limit, len(pool))))
    _every_reader_reads(params, units, loaded)
    if params.ratings is not None:
        ratings = load_unit_ratings(params, loaded, [u.collection for _, u in units])
        units = [(sid, replace(u, ratings=ratings)) for sid, u in units]
    return units


def _plans(params: QATier, source_id: str, items: list[QAItem], readers: list[Reader],
           seed: int) -> list[ReaderPlan]:
    plans: list[ReaderPlan] = []
    for spec, reader in zip(params.readers, readers):
        if spec.sources is not None and source_id not in spec.sources:
            continue
        chosen = seeded_sample(_in_langs(items, spec.langs), spec.max_questions, seed,
                               f"qa-reader:{source_id}")
        if chosen:
            plans.append(ReaderPlan(reader, spec.type, spec.correct,
                                    tuple(it.id for it in chosen), spec.passages))
    return plans


def _unit(params: QATier, coll: QACollection, items: list[QAItem], plans: list[ReaderPlan],
          src: QASource, limit: int | None, pool: int) -> QAUnit:
    corpus = chunk_corpus(coll.doc_ids, coll.doc_texts, params.chunk_size, params.chunk_overlap)
    gold: dict[str, str] = {}
    missing = 0
    for it in items:
        gold[it.id], found = gold_passage(coll.doc_text(it.doc_id), it.answers,
                                          params.chunk_size, params.chunk_overlap)
        missing += not found
    info = {"format": coll.format, "path": str(coll.path), "sha256": coll.sha256, **coll.stats,
            "langs": src.langs, "n_questions_after_langs": pool, "max_questions": limit,
            "n_questions": len(items), "n_chunks": len(corpus.texts),
            "n_docs_empty": corpus.n_docs_empty,
            "n_answers_not_in_gold_doc": missing}
    return QAUnit(coll, items, corpus, gold, plans, info)


def _every_reader_reads(params: QATier, units: list[tuple[str, QAUnit]],
                        loaded: LoadedSuite) -> None:
    used = {p.reader.id for _, u in units for p in u.plans}
    for i, spec in enumerate(params.readers):
        if spec.id not in used:
            raise InputError(f"{loaded.where(('tiers', 'qa', 'readers', i))}: reader "
                             f'"{spec.id}" has no question to answer (sources {spec.sources}, '
                             f"langs {spec.langs}); widen its filters or remove it")
