"""Leak guard: a recipe embedder is never judged on queries it was trained on.

A training query leaks into an evaluated one when their normal forms (text.normalise: NFKC,
case-folded, no spaces or punctuation) are equal, or, when both come from the same BEIR
folder, when their ids are equal (ids of unrelated collections, "1", "2", ..., say nothing). `check_suite` runs before
any model is loaded: it loads every recipe of the suite (so a bad recipe fails in seconds),
then compares its training queries with the queries of each dataset a tier will judge it on.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from embedgate.infra.errors import InputError
from embedgate.algorithms.lexical import normalise


@dataclass(frozen=True)
class Leak:
    eval_qid: str
    train_qid: str
    by: str  # "id" or "text"
    text: str


def find_leaks(train: Mapping[str, str], evaluated: Mapping[str, str],
               same_collection: bool = True) -> list[Leak]:
    """Evaluated queries that are training queries, by id (same collection) or normalised text.

    >>> find_leaks({"t1": "What is ECG?"}, {"q9": "what is  ecg", "t1": "other"})
    [Leak(eval_qid='q9', train_qid='t1', by='text', text='what is  ecg'), \
Leak(eval_qid='t1', train_qid='t1', by='id', text='other')]
    """
    by_text: dict[str, str] = {}
    for qid, text in train.items():
        by_text.setdefault(normalise(text), qid)
    leaks: list[Leak] = []
    for qid, text in sorted(evaluated.items()):
        if same_collection and qid in train:
            leaks.append(Leak(qid, qid, "id", text))
        elif (norm := normalise(text)) and norm in by_text:
            leaks.append(Leak(qid, by_text[norm], "text", text))
    return leaks


def describe(leaks: list[Leak], limit: int = 5) -> str:
    shown = [f'{lk.eval_qid} "{lk.text}" (same {lk.by} as training query {lk.train_qid})'
             if lk.by == "text" else f"{lk.eval_qid} (same id)" for lk in leaks[:limit]]
    more = f", and {len(leaks) - limit} more" if len(leaks) > limit else ""
    return "; ".join(shown) + more


def _same_dir(a: Path, b: Any) -> bool:
    try:
        return a.resolve() == Path(b).resolve()
    except (OSError, TypeError):
        return False


class _Job(Protocol):
    tier: str
    dataset: str | None
    data: Any

    def wants(self, embedder_id: str) -> bool: ...


def check_suite(loaded: Any, datasets: Mapping[str, Any], jobs: Iterable[_Job]) -> None:
    """Refuse (InputError) to judge a recipe embedder on queries from its training data.

    `loaded` is the LoadedSuite, `datasets` the loaded collections by id, `jobs` the runner's
    planned tier jobs: a retrieval-style job judges the queries of its dataset, an intent job
    the utterances it scores (the test rows of a split file; every row under cross-validation).
    """
    from embedgate.recipes.data import load_training_data
    from embedgate.recipes.recipe import load_recipe

    jobs = list(jobs)
    for i, spec in enumerate(loaded.suite.embedders):
        if spec.kind not in ("recipe", "rerank") or getattr(spec, "recipe", None) is None:
            continue
        carriers = users(loaded.suite.embedders, spec.id)
        where = loaded.where(("embedders", i, "recipe"))
        try:
            recipe = load_recipe(loaded.resolve(spec.recipe))
        except InputError as exc:
            raise InputError(f"{exc} (recipe of embedder \"{spec.id}\" at {where})") from None
        data = load_training_data(recipe)
        seen: set[tuple[str, str]] = set()
        for job in jobs:
            if not (job.dataset and any(job.wants(c) for c in carriers)) \
                    or (job.tier, job.dataset) in seen:
                continue
            seen.add((job.tier, job.dataset))
            judged = _judged(job, datasets)
            if judged is None:
                continue
            queries, folder, split, what = judged
            same = (folder is not None and data.source_dir is not None
                    and _same_dir(data.source_dir, folder))
            leaks = find_leaks(_training_texts(data, job), queries, same)
            if leaks:
                raise InputError(
                    f'{where}: embedder "{spec.id}" would be judged on {len(leaks)} quer'
                    f'{"y" if len(leaks) == 1 else "ies"} of {what} (split {split}) that '
                    f"its recipe {recipe.path} trains on: {describe(leaks)}; evaluate on another split or drop them from the "
                    "training data")


def users(specs: Iterable[Any], ident: str) -> set[str]:
    """`ident` and every pipeline (hybrid `of:`, rerank `first:`) that ranks with it, at any
    depth: each is judged with the recipe's model inside."""
    specs = list(specs)
    found = {ident}
    grew = True
    while grew:
        grew = False
        for s in specs:
            inputs = set(getattr(s, "of", None) or []) | {getattr(s, "first", None)}
            if s.id not in found and inputs & found:
                found.add(s.id)
                grew = True
    return found


def _training_texts(data: Any, job: _Job) -> dict[str, str]:
    """Training queries; against a pair set also their positives (a synonym trained as a
    positive is as seen as one trained as an anchor)."""
    from embedgate.inputs.pairs import PairSet

    if not isinstance(job.data, PairSet):
        return dict(data.queries)
    positives = {f"{q}/{d}": data.text(d) for q, ds in data.positives.items() for d in ds}
    return {**data.queries, **positives}


def _judged(job: _Job, datasets: Mapping[str, Any]) -> tuple[dict[str, str], Any, str, str] | None:
    """(id -> text judged, the folder when ids are comparable, split, what it is) or None."""
    from embedgate.inputs.intents import IntentData
    from embedgate.inputs.pairs import PairSet

    if isinstance(job.data, PairSet):  # the intrinsic tier ranks candidates for each anchor
        return ({g.id: g.anchor for g in job.data.groups}, None, "sampled groups",
                f'{job.tier} pair set "{job.dataset}"')
    if isinstance(job.data, IntentData):  # ids are file lines there: only texts compare
        items = job.data.source.items
        split = "test" if job.data.source.has_split else "every row, cross-validated"
        return ({it.id: it.text for it in items if it.split in (None, "test")}, None, split,
                f'{job.tier} source "{job.dataset}"')
    coll = datasets.get(job.dataset or "")
    queries = getattr(coll, "queries", None)
    if not isinstance(queries, Mapping):
        return None
    return (dict(queries), getattr(coll, "path", None), str(getattr(coll, "split", "?")),
            f'dataset "{job.dataset}"')
