"""A recipe's training data: queries, their positive passages, and the passage pool.

From a BEIR folder the pairs are the split's judgements with relevance >= min_relevance;
`where` keeps the queries (and pool passages) whose metadata match. From a pairs TSV every
line is one (query, positive) pair and the pool is the set of distinct positives.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from embedgate.algorithms.lexical import normalise
from embedgate.inputs.beir import iter_jsonl, load_beir
from embedgate.inputs.intents import load_intents
from embedgate.inputs.pair_sets import load_pair_set
from embedgate.inputs.pairs import PairGroup
from embedgate.infra.textio import read_lines
from embedgate.infra.errors import InputError
from embedgate.recipes.recipe import DataSpec, LoadedRecipe


@dataclass(frozen=True)
class TrainingData:
    """Queries with positives, plus the passages mining and domain adaptation draw from."""

    queries: dict[str, str]  # qid -> text, only queries with at least one positive
    positives: dict[str, list[str]]  # qid -> positive doc ids, best-judged first
    doc_ids: list[str]
    doc_texts: list[str]
    sha256: str  # content hash of the files read
    judged: dict[str, set[str]] = field(default_factory=dict)  # qid -> every doc judged > 0
    labels: dict[str, str] = field(default_factory=dict)  # qid -> intent label (data.intents)
    source_dir: Path | None = None  # the BEIR folder, when the data came from one
    stats: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def _position(self) -> dict[str, int]:
        return {d: i for i, d in enumerate(self.doc_ids)}

    def index(self, doc_id: str) -> int:
        return self._position[doc_id]

    def text(self, doc_id: str) -> str:
        return self.doc_texts[self.index(doc_id)]

    def excluded(self, qid: str) -> set[str]:
        """Docs that must never be a negative for `qid`: its positives and anything judged."""
        return set(self.positives[qid]) | self.judged.get(qid, set())

    def pairs(self) -> list[tuple[str, str]]:
        """(qid, positive doc id) in a stable order."""
        return [(q, d) for q in self.queries for d in self.positives.get(q, [])]


def load_training_data(loaded: LoadedRecipe) -> TrainingData:
    """Load the recipe's data; an empty training set is bad input (one line, exit 2)."""
    spec = loaded.recipe.data
    if spec.beir is not None:
        where = loaded.where(("data", "beir"))
        data = _from_beir(loaded.resolve(spec.beir), spec, where)
    elif spec.pairs is not None:
        where = loaded.where(("data", "pairs"))
        data = _from_pairs(loaded.resolve(spec.pairs), where)
    elif spec.intents is not None:
        where = loaded.where(("data", "intents"))
        data = _from_intents(loaded.resolve(spec.intents), spec.split, where)
    else:
        where = loaded.where(("data", "lexicon"))
        data = _from_lexicon(loaded, where)
    if not data.queries:
        raise InputError(f"{where}: the training set is empty ({_why_empty(data.stats)}); "
                         "point data at a split with judged queries or loosen where / min_relevance")
    return data


def _why_empty(stats: dict[str, Any]) -> str:
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in stats.items())


def _from_beir(root: Path, spec: DataSpec, where: str) -> TrainingData:
    try:
        coll = load_beir("recipe-data", root, spec.split)
    except InputError as exc:
        raise InputError(f"{exc} (recipe data at {where})") from None
    qmeta = _query_metadata(root / "queries.jsonl")
    _check_excluded(spec.exclude_queries, coll.queries, where)
    dropped = set(spec.exclude_queries)
    kept = [q for q in coll.queries
            if q not in dropped and _matches(qmeta.get(q, {}), spec.where)]
    positives = {q: [d for d, r in sorted(coll.qrels[q].items(), key=lambda kv: (-kv[1], kv[0]))
                     if r >= spec.min_relevance] for q in kept}
    positives = {q: ds for q, ds in positives.items() if ds}
    judged = {q: {d for d, r in coll.qrels[q].items() if r > 0} for q in positives}
    needed = set().union(*judged.values()) if judged else set()
    pool = [i for i, d in enumerate(coll.doc_ids)
            if d in needed or _matches(coll.meta.get(d, {}), spec.where)]
    stats = {"source": f"beir {root} split {spec.split}", "queries_with_judgements": len(coll.queries),
             "queries_excluded": len(dropped), "queries_matching_where": len(kept),
             "queries_with_positive": len(positives),
             "pairs": sum(len(v) for v in positives.values()), "pool_passages": len(pool)}
    return TrainingData(
        queries={q: coll.queries[q] for q in positives}, positives=positives,
        doc_ids=[coll.doc_ids[i] for i in pool], doc_texts=[coll.doc_texts[i] for i in pool],
        sha256=coll.sha256, judged=judged, source_dir=root, stats=stats)


def _check_excluded(excluded: list[str], queries: dict[str, str], where: str) -> None:
    """An excluded id the split does not judge is a typo that would silently train on it."""
    unknown = [q for q in excluded if q not in queries]
    if unknown:
        raise InputError(f"{where}: exclude_queries names {len(unknown)} query id(s) the split "
                         f"does not judge: {', '.join(unknown[:5])}; use ids from the split's "
                         "qrels (the leak guard prints them)")


def _query_metadata(path: Path) -> dict[str, dict[str, Any]]:
    return {str(obj.get("_id", obj.get("id"))): obj["metadata"]
            for _, obj in iter_jsonl(path) if isinstance(obj.get("metadata"), dict)}


def _matches(meta: dict[str, Any], where: dict[str, str]) -> bool:
    return all(str(meta.get(k)) == v for k, v in where.items())


def _from_pairs(path: Path, where: str) -> TrainingData:
    """`query<TAB>positive` lines; an optional first line `query<TAB>positive` is a header."""
    rows = _read_pairs(path, where)
    doc_of: dict[str, str] = {}
    queries: dict[str, str] = {}
    positives: dict[str, list[str]] = {}
    qid_of: dict[str, str] = {}
    for lineno, query, passage in rows:
        doc_id = doc_of.setdefault(passage, f"p{len(doc_of) + 1}")
        qid = qid_of.setdefault(query, f"line{lineno}")
        queries[qid] = query
        if doc_id not in positives.setdefault(qid, []):
            positives[qid].append(doc_id)
    stats = {"source": f"pairs {path}", "pairs": len(rows), "pool_passages": len(doc_of)}
    return TrainingData(queries=queries, positives=positives, doc_ids=list(doc_of.values()),
                        doc_texts=list(doc_of), sha256=_file_sha256(path),
                        judged={q: set(ds) for q, ds in positives.items()}, stats=stats)


def _from_intents(path: Path, split: str, where: str) -> TrainingData:
    """The `split` rows of a labelled-utterance file; the other split is the intent tier's."""
    try:
        intents = load_intents("recipe-data", path)
    except InputError as exc:
        raise InputError(f"{exc} (recipe data at {where})") from None
    if not intents.has_split:
        raise InputError(f"{where}: intent file {path} has no split column; a recipe trains on "
                         "its train rows and the intent tier scores the test rows, so add a "
                         "split column (train|test)")
    rows = [it for it in intents.items if it.split == split]
    labels = {it.id: it.label for it in rows}
    stats = {"source": f"intents {path} split {split}", "utterances": len(rows),
             "labels": len(set(labels.values())), "rows_in_file": len(intents.items)}
    return TrainingData(queries={it.id: it.text for it in rows}, positives={},
                        doc_ids=[it.id for it in rows], doc_texts=[it.text for it in rows],
                        sha256=intents.sha256, labels=labels, source_dir=None, stats=stats)


def _from_lexicon(loaded: LoadedRecipe, where: str) -> TrainingData:
    """(anchor, positive) pairs of a pair source, minus groups sharing a text with exclude_pairs."""
    spec = loaded.recipe.data
    assert spec.lexicon is not None
    held = {_norm(t) for src in spec.exclude_pairs
            for g in _pair_set(loaded, src, where).groups for t in _group_texts(g)}
    pairs = _pair_set(loaded, spec.lexicon, where)
    kept: list[PairGroup] = [g for g in pairs.groups
                             if not held & {_norm(t) for t in _group_texts(g)}]
    doc_of: dict[str, str] = {}
    positives = {g.id: [doc_of.setdefault(t, f"p{len(doc_of) + 1}") for t in _group_texts(g)[1:]]
                 for g in kept}
    stats = {"source": f"lexicon {pairs.source.get('type')} sample {spec.lexicon.sample} "
                       f"seed {pairs.source.get('seed')}", "groups_drawn": len(pairs.groups),
             "groups_held_apart": len(pairs.groups) - len(kept), "groups": len(kept),
             "pairs": sum(len(v) for v in positives.values()), "held_apart_texts": len(held)}
    return TrainingData(queries={g.id: g.anchor for g in kept}, positives=positives,
                        doc_ids=list(doc_of.values()), doc_texts=list(doc_of),
                        sha256=_pairs_hash(pairs.source, spec), stats=stats,
                        judged={q: set(ds) for q, ds in positives.items()})


def _pair_set(loaded: LoadedRecipe, src: Any, where: str) -> Any:
    seed = loaded.recipe.seed if src.seed is None else src.seed
    try:
        return load_pair_set(src, loaded.resolve(src.path) if src.path else None, seed)
    except InputError as exc:
        raise InputError(f'{exc} (pair set "{src.id}" of the recipe data at {where})') from None


def _group_texts(group: Any) -> list[str]:
    """The anchor, then its positive candidates (negatives are not training pairs)."""
    return [group.anchor, *(c.text for c in group.candidates if c.positive)]


def _norm(text: str) -> str:
    return normalise(text)


def _pairs_hash(source: dict[str, Any], spec: DataSpec) -> str:
    """The lexicon file's hash plus the draws (sample, seed) of the data and of its exclusions."""
    blob = repr((source.get("sha256"), spec.model_dump(mode="json", exclude={"beir", "pairs"})))
    return hashlib.sha256(blob.encode()).hexdigest()


def _read_pairs(path: Path, where: str) -> list[tuple[int, str, str]]:
    if "\0" not in str(path) and not path.exists():
        raise InputError(f"{where}: pairs file {path} not found; check data.pairs")
    rows: list[tuple[int, str, str]] = []
    for lineno, line in read_lines(path, "training pairs file"):
        if not line.strip() or (lineno == 1 and line.strip().lower().split("\t") == ["query", "positive"]):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise InputError(f"{path}:{lineno}: expected 'query<TAB>positive passage' "
                             f"(2 non-empty columns), got {len(parts)} column(s); separate query and "
                             "passage with one tab")
        rows.append((lineno, parts[0].strip(), parts[1].strip()))
    return rows


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
