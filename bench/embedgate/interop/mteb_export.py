"""embedgate results -> MTEB's results layout, which `mteb.ResultCache(DIR)` loads back.

    DIR/results/<model>/<revision>/<Task>.json   one TaskResult per retrieval dataset
    DIR/results/<model>/<revision>/model_meta.json

`<model>` is the embedder's name with "/" as "__" (MTEB's folder rule), `<revision>` its
weights hash (first 12 hex digits). Each TaskResult holds the dataset's split with one
subset, "default", its mapped scores (`names.mteb_key`) and `main_score` = nDCG@10, MTEB's
retrieval main score. `dataset_revision` is embedgate's content hash of the data evaluated:
it names the bytes scored, not a Hub commit. `mteb_version` is null: no MTEB code scored it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from embedgate.infra.errors import InputError
from embedgate.interop.names import BEIR_TASKS, MAIN_SCORE, mteb_key, task_name
from embedgate.results.schema import RunResult


@dataclass(frozen=True)
class ExportOptions:
    tasks: dict[str, str] = field(default_factory=dict)  # dataset id -> MTEB task name
    model: str | None = None  # model name for a one-embedder run (e.g. org/name)
    languages: tuple[str, ...] = ()  # e.g. ("eng-Latn",); MTEB's per-subset languages


@dataclass(frozen=True)
class TaskScores:
    """One embedder's mapped scores on one dataset."""

    embedder: str
    dataset: str
    task: str
    split: str
    revision: str
    scores: dict[str, float]


def task_scores(run: RunResult, opts: ExportOptions) -> list[TaskScores]:
    """Every (embedder, retrieval dataset) with the scores MTEB can name."""
    out: list[TaskScores] = []
    for emb in run.embedders:
        for dataset in sorted({r.dataset for r in run.metrics
                               if r.embedder == emb and r.tier == "retrieval"}):
            rows = [r for r in run.metrics if (r.embedder, r.tier, r.dataset) ==
                    (emb, "retrieval", dataset)]
            scores = {key: r.value for r in rows if (key := mteb_key(r.metric))}
            info = run.datasets.get(dataset, {})
            out.append(TaskScores(emb, dataset, task_name(dataset, opts.tasks),
                                  str(info.get("split", "test")),
                                  str(info.get("sha256", "unknown")), scores))
    if not out:
        raise InputError("the results hold no retrieval metrics; MTEB's results format carries "
                         "retrieval scores (run a suite with tiers.retrieval)")
    return out


def model_name(run: RunResult, embedder: str, opts: ExportOptions) -> str:
    if opts.model and len(run.embedders) > 1:
        raise InputError(f"--model names one model, but the results hold {len(run.embedders)} "
                         "embedders; leave --model out (each is named by its id)")
    return opts.model or str(run.embedders[embedder].get("name") or embedder)


def revision(run: RunResult, embedder: str) -> str:
    weights = str(run.embedders[embedder].get("weights_sha256") or "")
    return weights[:12] or "no_revision_available"


def main_score(ts: TaskScores) -> float:
    if MAIN_SCORE not in ts.scores:
        raise InputError(f"dataset {ts.dataset!r} of embedder {ts.embedder!r} has no nDCG@10, "
                         "MTEB retrieval's main score; add nDCG@10 to tiers.retrieval.metrics")
    return ts.scores[MAIN_SCORE]


def languages(ts: TaskScores, opts: ExportOptions) -> list[str]:
    """--language, else English for the BEIR tasks: MTEB averages a model's scores over the
    subsets whose languages match, so a subset without one scores NaN there."""
    if opts.languages:
        return list(opts.languages)
    if ts.task in BEIR_TASKS.values():
        return ["eng-Latn"]
    raise InputError(f"dataset {ts.dataset!r} (MTEB task {ts.task!r}): which language is it? "
                     "pass --language, e.g. --language eng-Latn or --language cmn-Hans "
                     "(MTEB scores a subset without a language as NaN)")


def task_result(ts: TaskScores, run: RunResult, opts: ExportOptions) -> dict[str, Any]:
    """A TaskResult as MTEB writes it (`TaskResult.to_disk`)."""
    subset = {**ts.scores, "main_score": main_score(ts), "hf_subset": "default",
              "languages": languages(ts, opts)}
    return {"dataset_revision": ts.revision, "task_name": ts.task, "mteb_version": None,
            "scores": {ts.split: [subset]}, "evaluation_time": None,
            "kg_co2_emissions": None, "date": _timestamp(run)}


def model_meta(run: RunResult, embedder: str, name: str) -> dict[str, Any]:
    """The model_meta.json fields MTEB reads back (name, revision) and what embedgate knows."""
    info = run.embedders[embedder]
    return {"name": name, "revision": revision(run, embedder), "release_date": None,
            "languages": None, "n_parameters": None, "memory_usage_mb": None,
            "max_tokens": info.get("max_seq_length"), "embed_dim": info.get("dim"),
            "license": None, "open_weights": None, "public_training_code": None,
            "public_training_data": None, "framework": [], "reference": None,
            "similarity_fn_name": "cosine", "use_instructions": None,
            "training_datasets": None, "adapted_from": None, "superseded_by": None,
            "modalities": ["text"], "loader": None}


def mteb_files(run: RunResult, opts: ExportOptions) -> dict[str, Any]:
    """{relative path: JSON object} of the whole export."""
    files: dict[str, Any] = {}
    for ts in task_scores(run, opts):
        name = model_name(run, ts.embedder, opts)
        folder = f"results/{name.replace('/', '__').replace(' ', '_')}/{revision(run, ts.embedder)}"
        if f"{folder}/{ts.task}.json" in files:
            raise InputError(f"two datasets export as MTEB task {ts.task!r}; map them to "
                             "distinct names with --task DATASET=TaskName")
        files[f"{folder}/{ts.task}.json"] = task_result(ts, run, opts)
        files[f"{folder}/model_meta.json"] = model_meta(run, ts.embedder, name)
    return files


def _timestamp(run: RunResult) -> float | None:
    created = run.provenance.get("created_at")
    try:
        return datetime.fromisoformat(str(created)).timestamp() if created else None
    except ValueError:
        return None
