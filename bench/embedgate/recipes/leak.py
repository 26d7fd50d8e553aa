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
from embedgate.recipes.text import normalise


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
    dataset: str | None

    def wants(self, embedder_id: str) -> bool: ...


def check_suite(loaded: Any, datasets: Mapping[str, Any], jobs: Iterable[_Job]) -> None:
    """Refuse (InputError) to judge a recipe embedder on queries from its training data.

    `loaded` is the LoadedSuite, `datasets` the loaded collections by id, `jobs` the runner's
    planned tier jobs (only those that judge the embedder on a dataset are checked).
    """
    from embedgate.recipes.data import load_training_data
    from embedgate.recipes.recipe import load_recipe

    jobs = list(jobs)
    for i, spec in enumerate(loaded.suite.embedders):
        if spec.kind != "recipe":
            continue
        where = loaded.where(("embedders", i, "recipe"))
        try:
            recipe = load_recipe(loaded.resolve(spec.recipe))
        except InputError as exc:
            raise InputError(f"{exc} (recipe of embedder \"{spec.id}\" at {where})") from None
        data = load_training_data(recipe)
        for dataset_id in sorted({j.dataset for j in jobs if j.wants(spec.id) and j.dataset}):
            coll = datasets.get(dataset_id)
            queries = getattr(coll, "queries", None)
            if not isinstance(queries, Mapping):
                continue
            same = data.source_dir is not None and _same_dir(data.source_dir, coll.path)
            leaks = find_leaks(data.queries, queries, same)
            if leaks:
                raise InputError(
                    f'{where}: embedder "{spec.id}" would be judged on {len(leaks)} quer'
                    f'{"y" if len(leaks) == 1 else "ies"} of dataset "{dataset_id}" '
                    f"(split {getattr(coll, 'split', '?')}) that its recipe {recipe.path} trains "
                    f"on: {describe(leaks)}; evaluate on another split or drop them from the "
                    "training data")
