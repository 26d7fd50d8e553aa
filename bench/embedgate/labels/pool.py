"""The holes of a bake-off as one pool to judge: every system's top ``depth`` documents that
the qrels do not judge, per dataset, from results files and the TREC runs written beside them.

Results JSON holds no full rankings or texts: the runs are `runs/<system>__<dataset>.trec`
beside each results.json (the retrieval tier writes them), and queries, documents and qrels
come from the dataset folder the results' `datasets` section records (or ``--dataset
ID=PATH`` where it moved).

>>> pool = pool_pairs({"q1": {"d1": 1}}, {"a": {"q1": {"d1": 2.0, "d2": 1.0}},
...                                         "b": {"q1": {"d3": 1.0}}}, depth=10)
>>> pool
{('q1', 'd2'): ['a@2'], ('q1', 'd3'): ['b@1']}
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedgate.algorithms.holes import ranked
from embedgate.algorithms.ir import Qrels, Run
from embedgate.infra.errors import InputError
from embedgate.infra.textio import read_lines
from embedgate.inputs.beir import Collection, load_beir
from embedgate.inputs.judgments import JUDGED_SUFFIX
from embedgate.results.schema import RunResult


@dataclass(frozen=True)
class DatasetPool:
    dataset: str
    records: list[dict[str, Any]]  # one per pair to judge, with texts (inputs/judgments.FIELDS)
    per_system: dict[str, int]  # system -> its unjudged documents in the top depth
    n_queries: int
    data: Collection  # where the texts and qrels came from (the judge's calibration reads it)


def pool_pairs(qrels: Qrels, runs: Mapping[str, Run], depth: int
               ) -> dict[tuple[str, str], list[str]]:
    """(query, doc) -> ["system@rank", …] for each unjudged document in some top ``depth``."""
    out: dict[tuple[str, str], list[str]] = {}
    for name, run in runs.items():
        for q in sorted(qrels):
            for rank, d in enumerate(ranked(run.get(q, {}))[:depth], 1):
                if d not in qrels[q]:
                    out.setdefault((q, d), []).append(f"{name}@{rank}")
    return dict(sorted(out.items()))


def read_trec(path: Path) -> dict[str, dict[str, float]]:
    """A TREC run file (qid Q0 docid rank score tag) as {qid: {doc: score}}."""
    run: dict[str, dict[str, float]] = {}
    for lineno, line in read_lines(path, "TREC run"):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise InputError(f"{path}:{lineno}: {len(parts)} columns; a TREC run line has 6")
        try:
            run.setdefault(parts[0], {})[parts[2]] = float(parts[4])
        except ValueError:
            raise InputError(f"{path}:{lineno}: score {parts[4]!r} is not a number") from None
    return run


def build_pools(results: Sequence[Path], depth: int,
                dataset_paths: Mapping[str, Path]) -> list[DatasetPool]:
    """One pool per retrieval dataset of the results files, over all their systems."""
    runs: dict[str, dict[str, Run]] = {}
    where: dict[str, dict[str, Any]] = {}
    for path in results:
        result = RunResult.load(path)
        for key in result.details:
            tier, emb, ds = (key.split("/", 2) + ["", ""])[:3]
            if tier != "retrieval" or ds.endswith(JUDGED_SUFFIX):
                continue
            trec = path.parent / "runs" / f"{emb}__{ds}.trec"
            label = emb if emb not in runs.get(ds, {}) else f"{path.parent.name}:{emb}"
            runs.setdefault(ds, {})[label] = read_trec(trec)
            where.setdefault(ds, result.datasets.get(ds, {}))
    if not runs:
        raise InputError(f"{', '.join(map(str, results))}: no retrieval results to pool")
    return [_pool(_collection(ds, where[ds], dataset_paths), systems, depth)
            for ds, systems in sorted(runs.items())]


def _collection(ds: str, info: Mapping[str, Any], paths: Mapping[str, Path]) -> Collection:
    path = paths.get(ds) or (Path(info["path"]) if info.get("path") else None)
    if path is None:
        raise InputError(f'dataset "{ds}": the results do not record its folder; pass '
                         f"--dataset {ds}=PATH")
    try:
        return load_beir(ds, path, str(info.get("split", "test")))
    except InputError as exc:
        raise InputError(f'{exc} (dataset "{ds}"; pass --dataset {ds}=PATH if it moved)') from None


def _pool(data: Collection, systems: Mapping[str, Run], depth: int) -> DatasetPool:
    pairs = pool_pairs(data.qrels, systems, depth)
    per_system = {s: sum(1 for tags in pairs.values() for t in tags if t.rsplit("@", 1)[0] == s)
                  for s in systems}
    docs = dict(zip(data.doc_ids, data.doc_texts))
    records = [{"dataset": data.id, "query_id": q, "doc_id": d, "grade": None, "who": None,
                "when": None, "query": data.queries[q], "doc": docs.get(d, ""),
                "retrieved_by": tags} for (q, d), tags in pairs.items()]
    return DatasetPool(data.id, records, per_system, len({q for q, _ in pairs}), data)
