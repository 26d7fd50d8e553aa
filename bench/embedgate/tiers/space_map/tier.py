"""Semantic-space map tier: a 2-D picture of where an embedder puts things, plus silhouettes.

For every source (intent utterances, a dataset's queries with their relevant passages, pair
groups) the items are encoded, projected to 2-D (PCA by default, UMAP on request) and saved
as data in details — coordinates rounded to 4 decimals, item ids, labels, links — for the
report to draw. The quantitative companion is a cosine silhouette per labelling computed in
the full embedding space (not in the picture), with per-item values in per_query.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from embedgate.infra.blas import single_threaded_blas
from embedgate.suite import (
    LoadedSuite, MapDatasetSource, MapIntentSource, MapPairsSource, SpaceMapTier,
)
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import Collection
from embedgate.embedders.base import Embedder
from embedgate.infra.errors import InputError, did_you_mean
from embedgate.tiers.space_map.sources import (
    MapItems, from_collection, from_intents, from_pairs, snippet,
)
from embedgate.algorithms.projection import project, require_method, silhouette
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.tiers import Unit
from embedgate.inputs.intents import load_source

TIER = "space_map"
SPACE = "full embedding space, cosine distance"


def prepare(params: SpaceMapTier, loaded: LoadedSuite,
            datasets: dict[str, Collection]) -> list[Unit]:
    require_method(params.method, loaded.where(("tiers", TIER, "method")))
    units: list[Unit] = []
    for i, src in enumerate(params.sources):
        loc: tuple[str | int, ...] = ("tiers", TIER, "sources", i)
        rng = RunContext(seed=loaded.suite.seed).rng(f"{TIER}:draw:{src.id}")
        units.append((src.id, _items(src, loaded, datasets, loc, params.max_points, rng)))
    return units


def _items(src: MapIntentSource | MapDatasetSource | MapPairsSource, loaded: LoadedSuite,
           datasets: dict[str, Collection], loc: tuple[str | int, ...], limit: int,
           rng: np.random.Generator) -> MapItems:
    if isinstance(src, MapIntentSource):
        return from_intents(load_source(src, loaded, loc + ("path",)).source, limit, rng)
    if isinstance(src, MapDatasetSource):
        if src.id not in datasets:
            raise InputError(f'{loaded.where(loc + ("id",))}: unknown dataset "{src.id}"'
                             f"{did_you_mean(src.id, set(datasets))}; a dataset source names a "
                             f"dataset of the suite ({', '.join(sorted(datasets)) or 'none'})")
        return from_collection(datasets[src.id], limit, rng)
    try:
        return from_pairs(src.id, loaded.resolve(src.path), limit, rng)
    except InputError as exc:
        raise InputError(f'{exc} (source "{src.id}" at {loaded.where(loc + ("path",))})') from None


def encode_by_role(ctx: RunContext, embedder: Embedder, items: MapItems) -> np.ndarray:
    """Encode queries and passages with their own roles, keeping item order."""
    out: np.ndarray | None = None
    for role in ("query", "passage"):
        idx = [i for i, r in enumerate(items.roles) if r == role]
        if not idx:
            continue
        vecs = ctx.encode(embedder, [items.texts[i] for i in idx], role)
        if out is None:
            out = np.zeros((len(items.ids), vecs.shape[1]), dtype=np.float32)
        out[idx] = vecs
    assert out is not None  # MapItems are never empty (checked by the source builders)
    return out


def run(embedder: Embedder, data: MapItems, params: SpaceMapTier, ctx: RunContext) -> TierResult:
    t0 = time.perf_counter()
    vecs = encode_by_role(ctx, embedder, data)
    t1 = time.perf_counter()
    seed = int(ctx.rng(f"{TIER}:{data.id}").integers(2**31 - 1))
    eid = embedder.info.id
    with single_threaded_blas():
        proj = project(vecs, params.method, seed)
        t2 = time.perf_counter()
        rows, pqs, sil = _silhouettes(eid, data, vecs)
    details = {"kind": data.kind, "method": proj.method, "seed": seed, "n_points": len(data.ids),
               **({"explained_variance_ratio": [round(v, 4) for v in proj.explained_variance_ratio]}
                  if proj.explained_variance_ratio is not None else {}),
               "points": _points(data, proj.coords), "labellings": {**data.scored, **data.descriptive},
               "links": [list(link) for link in data.links], "silhouette": sil, **data.meta}
    return TierResult(tier=TIER, embedder=eid, dataset=data.id, metrics=rows, per_query=pqs,
                      details=details, timings={"encode_s": t1 - t0, "project_s": t2 - t1,
                                                "silhouette_s": time.perf_counter() - t2})


def _points(data: MapItems, coords: np.ndarray) -> dict[str, list[Any]]:
    return {"id": data.ids, "x": [round(float(v), 4) for v in coords[:, 0]],
            "y": [round(float(v), 4) for v in coords[:, 1]], "role": data.roles,
            "text": [snippet(t) for t in data.texts]}


def _silhouettes(eid: str, data: MapItems, vecs: np.ndarray
                 ) -> tuple[list[MetricRow], list[PerQuery], dict[str, Any]]:
    """Scored labellings become metric rows (higher is better); descriptive ones stay in details."""
    rows: list[MetricRow] = []
    pqs: list[PerQuery] = []
    report: dict[str, Any] = {}
    labellings = [(n, lb, True) for n, lb in data.scored.items()]
    labellings += [(n, lb, False) for n, lb in data.descriptive.items()]
    for name, labels, scored in labellings:
        result = silhouette(vecs, labels)
        report[name] = {"value": None if result is None else result[0], "space": SPACE,
                        "n_labels": len(set(labels)),
                        "higher_is_better": True if scored else None}
        if result is None or not scored:
            continue
        metric = f"silhouette_{name}"
        rows.append(MetricRow(embedder=eid, tier=TIER, dataset=data.id, metric=metric,
                              value=result[0], higher_is_better=True, n_queries=len(labels)))
        pqs.append(PerQuery(embedder=eid, tier=TIER, dataset=data.id, metric=metric,
                            values={i: float(v) for i, v in zip(data.ids, result[1], strict=True)}))
    return rows, pqs, report
