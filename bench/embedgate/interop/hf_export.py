"""embedgate results -> Hugging Face model-card evaluation metadata.

    DIR/README.md                 a model card whose YAML front matter holds `model-index`
                                  (one result per retrieval dataset: every mapped score,
                                  0-1 as measured), for huggingface_hub's ModelCard
    DIR/.eval_results/<Task>.yaml the Hub's evaluation-results files, one entry per split as
                                  MTEB writes them (main score nDCG@10, in percent); the
                                  data's content hash goes in `notes`, not in `revision`
                                  (which names a Hub commit)

Copy both into a model repository to show the figures on its page.
"""
from __future__ import annotations

from typing import Any

import yaml

from embedgate.interop.mteb_export import (ExportOptions, TaskScores, main_score, model_name,
                                           task_scores)
from embedgate.interop.names import BEIR_TASKS, MAIN_SCORE
from embedgate.results.schema import RunResult

SOURCE = {"name": "embedgate"}


def dataset_repo(ts: TaskScores) -> str:
    """MTEB's Hub dataset for a BEIR task; a local dataset is named by its suite id."""
    known = ts.dataset.lower() in BEIR_TASKS or ts.task in BEIR_TASKS.values()
    return f"mteb/{ts.task.lower()}" if known else f"local/{ts.dataset}"


def model_index_entry(ts: TaskScores) -> dict[str, Any]:
    return {"task": {"type": "text-retrieval", "name": "Retrieval"},
            # no `revision`: that names a Hub commit, and embedgate knows a content hash only
            "dataset": {"type": dataset_repo(ts), "name": f"MTEB {ts.task} (default)",
                        "config": "default", "split": ts.split},
            # no `source`: the card format requires a URL beside its name, and a run has none
            "metrics": [{"type": k, "name": k, "value": v} for k, v in sorted(ts.scores.items())]}


def eval_results_entry(ts: TaskScores, date: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "dataset": {"id": dataset_repo(ts), "task_id": f"{ts.task}_default_{ts.split}",
                    "revision": None},
        "value": round(ts.scores[MAIN_SCORE] * 100, 5)}
    if date:
        entry["date"] = date
    return {**entry, "notes": f"Obtained using embedgate; data sha256 {ts.revision[:12]}",
            "source": SOURCE}


def hf_files(run: RunResult, opts: ExportOptions) -> dict[str, str]:
    """{relative path: text}: README.md with model-index, and .eval_results/*.yaml."""
    all_scores = task_scores(run, opts)
    date = str(run.provenance.get("created_at") or "")[:10] or None
    files: dict[str, str] = {}
    index: dict[str, list[dict[str, Any]]] = {}
    for ts in all_scores:
        main_score(ts)  # the same check as --format mteb: nDCG@10 is there
        name = model_name(run, ts.embedder, opts)
        index.setdefault(name, []).append(model_index_entry(ts))
        if len(run.embedders) == 1:  # .eval_results belong to one model's repository
            files[f".eval_results/{ts.task}.yaml"] = yaml.safe_dump(
                [eval_results_entry(ts, date)], sort_keys=False)
    meta = {"tags": ["embedgate", "sentence-similarity"],
            "model-index": [{"name": n, "results": r} for n, r in index.items()]}
    files["README.md"] = (f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n\n"
                          f"Evaluation results of suite `{run.suite.name}` written by "
                          "`embedgate export --format hf`.\n")
    return files
