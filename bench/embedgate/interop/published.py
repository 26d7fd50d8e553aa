"""Published MTEB results -> reference rows for a bake-off (`embedgate compare --published`).

Reads one TaskResult JSON (MTEB >= 1.11: `task_name` + `scores: {split: [subset, …]}`; or the
older flat shape: `mteb_dataset_name` + `{split: {score: value}}`), or a results-repository
folder (`results/<model>/<revision>/<Task>.json` beside `model_meta.json`, any level of it).
Each model becomes one system labelled "<model> (published)" whose rows carry the figures of
the "default" subset (or the only one) and no per-query values: a board shows them for
reference and tests no difference against them (judge/compare.py reads
`provenance["published"]`). Any other shape is one InputError naming the file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InputError
from embedgate.infra.textio import read_text
from embedgate.interop.names import BEIR_TASKS, embedgate_metric
from embedgate.results.schema import MetricRow, RunResult, SuiteInfo

_FIX = ("pass a TaskResult JSON from MTEB's results repository (task_name + scores) or a "
        "folder of them")


@dataclass(frozen=True)
class Published:
    model: str
    revision: str
    task: str
    split: str
    scores: dict[str, float]  # MTEB key -> value
    source: Path


def task_files(path: Path) -> list[Path]:
    """The TaskResult files of a file or folder (model_meta.json and hidden files left out)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(f"{path}: published results not found; {_FIX}")
    files = sorted(p for p in path.rglob("*.json")
                   if p.name != "model_meta.json" and not p.name.startswith("."))
    if not files:
        raise InputError(f"{path}: no TaskResult JSON files in this folder; {_FIX}")
    return files


def read_task_result(path: Path, split: str) -> Published:
    raw = _json(path)
    task = raw.get("task_name") or raw.get("mteb_dataset_name")
    if not isinstance(task, str) or not task:
        raise InputError(f"{path}: unknown MTEB results schema (no task_name); {_FIX}")
    scores = _scores(raw, path, split)
    model, revision = _model(path)
    return Published(model, revision, task, split, scores, path)


def _json(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(read_text(path, "published results file"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not JSON ({exc.msg}); {_FIX}") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a JSON {type(raw).__name__}, not a TaskResult object; {_FIX}")
    return raw


def _scores(raw: dict[str, Any], path: Path, split: str) -> dict[str, float]:
    if isinstance(raw.get("scores"), dict):  # MTEB >= 1.11
        subsets = raw["scores"].get(split)
        if not isinstance(subsets, list) or not subsets or not all(
                isinstance(s, dict) for s in subsets):
            have = ", ".join(map(str, raw["scores"])) or "none"
            raise InputError(f"{path}: no scores for split {split!r} (splits: {have}); pick the "
                             "split with --published-split, or check the file")
        chosen = next((s for s in subsets if s.get("hf_subset") == "default"), subsets[0])
    elif "mteb_dataset_name" in raw and isinstance(raw.get(split), dict):  # before MTEB 1.11
        chosen = raw[split]
    else:
        raise InputError(f"{path}: unknown MTEB results schema (neither `scores` nor a "
                         f"pre-1.11 {split!r} block); {_FIX}")
    out = {k: float(v) for k, v in chosen.items()
           if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if not any(embedgate_metric(k) for k in out):
        raise InputError(f"{path}: no retrieval score MTEB names (ndcg_at_10, recall_at_100, "
                         f"…) in split {split!r}; {_FIX}")
    return out


def _model(path: Path) -> tuple[str, str]:
    """Model name and revision from model_meta.json beside the file, else from the folders."""
    meta = path.parent / "model_meta.json"
    if meta.is_file():
        raw = _json(meta)
        if isinstance(raw.get("name"), str):
            return raw["name"], str(raw.get("revision") or "")
    if path.parent.parent != path.parent and path.parent.parent.name:
        return path.parent.parent.name.replace("__", "/"), path.parent.name
    return path.stem, ""


def published_runs(paths: list[Path], datasets: dict[str, str],
                   split: str = "test") -> list[tuple[str, RunResult]]:
    """One (label, RunResult) per published model; `datasets` maps dataset id -> task name."""
    by_task = {task: ds for ds, task in datasets.items()}
    by_task.update({t: ds for ds, t in BEIR_TASKS.items() if t not in by_task})
    found: dict[str, list[Published]] = {}
    for path in paths:
        for f in task_files(path):
            pub = read_task_result(f, split)
            found.setdefault(pub.model, []).append(pub)
    return [(f"published {', '.join(sorted({str(p.source) for p in pubs}))}",
             _run(model, pubs, by_task)) for model, pubs in found.items()]


def _run(model: str, pubs: list[Published], by_task: dict[str, str]) -> RunResult:
    label = f"{model} (published)"
    rows = [MetricRow(embedder=label, tier="retrieval", dataset=by_task.get(p.task, p.task),
                      metric=metric, value=value, higher_is_better=True, n_queries=0)
            for p in pubs for key, value in sorted(p.scores.items())
            if (metric := embedgate_metric(key))]
    sources = [{"file": str(p.source), "task": p.task, "split": p.split,
                "revision": p.revision} for p in pubs]
    return RunResult(
        suite=SuiteInfo(name="published", file=str(pubs[0].source), sha256=""),
        provenance={"published": sources}, embedders={label: {"id": label, "name": model}},
        datasets={}, params={}, metrics=rows, per_query=[])


def check_matches(runs: list[tuple[str, RunResult]], datasets: set[str], how: str) -> None:
    """Each published model must land on a dataset the bake-off has (tasks that match none,
    e.g. the rest of a results-repository folder, are left off the boards): one that matches
    nothing would vanish from every board without a word. `how` says how to map a task."""
    for _, run in runs:
        if not {r.dataset for r in run.metrics} & datasets:
            sources = run.provenance["published"]
            tasks = ", ".join(sorted({str(s["task"]) for s in sources}))
            raise InputError(f"{sources[0]['file']}: MTEB task(s) {tasks} match no dataset here "
                             f"({', '.join(sorted(datasets)) or 'none'}); {how}")
