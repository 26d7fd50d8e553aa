"""Leak guard: a recipe embedder is never judged on queries it was trained on.

`check_suite` runs before any model is loaded: it loads every recipe of the suite (so a bad
recipe fails in seconds), then compares its training queries with what each planned tier job
judges: a tier says so itself (`tiers.judged_texts`: pair anchors, labelled utterances),
otherwise the job judges the queries of its dataset.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from embedgate.infra.errors import InputError
from embedgate.recipes.data import TrainingData, load_training_data
from embedgate.recipes.leak import describe, find_leaks
from embedgate.recipes.recipe import load_recipe
from embedgate.suite import LoadedSuite
from embedgate.tiers import EmbedderTier, JudgedTexts, judged_texts


class _Job(Protocol):
    tier: str
    impl: EmbedderTier[Any]
    dataset: str | None
    data: Any

    def wants(self, embedder_id: str) -> bool: ...


def check_suite(loaded: LoadedSuite, datasets: Mapping[str, Any], jobs: Iterable[_Job]) -> None:
    """Refuse (InputError) to judge a recipe embedder on queries from its training data.

    `datasets` are the loaded collections by id, `jobs` the runner's planned tier jobs.
    """
    jobs = list(jobs)
    for i, spec in enumerate(loaded.suite.embedders):
        if spec.kind not in ("recipe", "rerank") or getattr(spec, "recipe", None) is None:
            continue
        where = loaded.where(("embedders", i, "recipe"))
        try:
            recipe = load_recipe(loaded.resolve(spec.recipe))  # type: ignore[union-attr]
        except InputError as exc:
            raise InputError(f"{exc} (recipe of embedder \"{spec.id}\" at {where})") from None
        data = load_training_data(recipe)
        for judged in _judged_by(jobs, users(loaded.suite.embedders, spec.id), datasets):
            same = (judged.folder is not None and data.source_dir is not None
                    and _same_dir(data.source_dir, judged.folder))
            leaks = find_leaks(_training_texts(data, judged), judged.texts, same)
            if leaks:
                raise InputError(
                    f'{where}: embedder "{spec.id}" would be judged on {len(leaks)} quer'
                    f'{"y" if len(leaks) == 1 else "ies"} of {judged.what} (split '
                    f"{judged.split}) that its recipe {recipe.path} trains on: "
                    f"{describe(leaks)}; evaluate on another split or drop them from the "
                    "training data")


def _judged_by(jobs: list[_Job], carriers: set[str],
               datasets: Mapping[str, Any]) -> Iterable[JudgedTexts]:
    """What the jobs that judge any of `carriers` judge, once per (tier, dataset)."""
    seen: set[tuple[str, str]] = set()
    for job in jobs:
        if not (job.dataset and any(job.wants(c) for c in carriers)) \
                or (job.tier, job.dataset) in seen:
            continue
        seen.add((job.tier, job.dataset))
        judged = judged_texts(job.impl, job.dataset, job.data) \
            or _dataset_queries(job.dataset, datasets)
        if judged is not None:
            yield judged


def users(specs: Iterable[Any], ident: str) -> set[str]:
    """`ident` and every retrieval system (hybrid `of:`, rerank `first:`) that ranks with it, at
    any depth: each is judged with the recipe's model inside."""
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


def _dataset_queries(dataset: str, datasets: Mapping[str, Any]) -> JudgedTexts | None:
    """A job over a dataset judges its queries; ids compare within the same folder."""
    coll = datasets.get(dataset)
    queries = getattr(coll, "queries", None)
    if not isinstance(queries, Mapping):
        return None
    return JudgedTexts(dict(queries), str(getattr(coll, "split", "?")), f'dataset "{dataset}"',
                       folder=getattr(coll, "path", None))


def _training_texts(data: TrainingData, judged: JudgedTexts) -> dict[str, str]:
    if not judged.with_positives:
        return dict(data.queries)
    positives = {f"{q}/{d}": data.text(d) for q, ds in data.positives.items() for d in ds}
    return {**data.queries, **positives}


def _same_dir(a: Path, b: Any) -> bool:
    try:
        return a.resolve() == Path(b).resolve()
    except (OSError, TypeError):
        return False
