"""Intent tier: how well an embedder separates labelled utterances (kNN voting, linear probe).

Each source is encoded once (role "query": utterances are what users type). Without a split
column, seeded stratified k-fold cross-validation predicts every utterance exactly once
(out-of-fold), and the scores are computed over those pooled predictions; with a split, the
train rows are the neighbours / probe training data and the test rows are scored. The folds
depend only on the suite seed and the source id, so every embedder sees the same folds.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from embedgate.infra.blas import single_threaded_blas
from embedgate.algorithms.classify import ClassReport, knn_predict, make_folds, probe_predict, score
from embedgate.suite import IntentTier, LoadedSuite
from embedgate.tiers.context import RunContext
from embedgate.embedders.base import Embedder
from embedgate.inputs.intents import IntentData, load_source
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.tiers import JudgedTexts, Unit

TIER = "intent"
METHODS = ("knn", "probe")


def prepare(params: IntentTier, loaded: LoadedSuite, datasets: object) -> list[Unit]:
    return [(src.id, load_source(src, loaded, ("tiers", TIER, "sources", i, "path"), params.folds))
            for i, src in enumerate(params.sources)]


def judged_texts(unit_id: str | None, data: IntentData) -> JudgedTexts:
    """The utterances it scores: the test rows of a split file, every row under k-fold; ids
    are file lines, so only texts compare."""
    split = "test" if data.source.has_split else "every row, cross-validated"
    return JudgedTexts({it.id: it.text for it in data.source.items if it.split in (None, "test")},
                       split, f'{TIER} source "{unit_id}"')


def run(embedder: Embedder, data: IntentData, params: IntentTier, ctx: RunContext) -> TierResult:
    """Encode the utterances, predict each test (or out-of-fold) item twice, score both."""
    t0 = time.perf_counter()
    vecs = ctx.encode(embedder, data.source.texts, "query")
    timings = {"encode_s": time.perf_counter() - t0}
    seed = int(ctx.rng(f"{TIER}:{data.source.id}").integers(2**31 - 1))
    folds = make_folds(data.codes, [it.split for it in data.source.items], params.folds, seed)
    t1 = time.perf_counter()
    with single_threaded_blas():
        predicted, probe_info = _predict(vecs, data, folds, params, seed)
    timings["classify_s"] = time.perf_counter() - t1
    tested = np.sort(np.concatenate([te for _, te in folds]))
    reports = {m: score(data.codes[tested], predicted[m][tested], data.names) for m in METHODS}
    return _result(embedder.info.id, data, params, tested, predicted, reports,
                   {"seed": seed, "n_folds": len(folds), "probe_fit": probe_info}, timings)


def _predict(vecs: np.ndarray, data: IntentData, folds: list[tuple[np.ndarray, np.ndarray]],
             params: IntentTier, seed: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    predicted = {m: np.full(len(data.codes), -1) for m in METHODS}
    converged = True
    iters: list[int] = []
    for train, test in folds:
        predicted["knn"][test] = knn_predict(vecs[train], data.codes[train], vecs[test], params.k,
                                             len(data.names))
        fit = probe_predict(vecs[train], data.codes[train], vecs[test], params.probe_c,
                            params.probe_max_iter, seed, params.probe_standardize)
        predicted["probe"][test] = fit.predicted
        converged = converged and fit.converged
        iters.append(fit.n_iter)
    return predicted, {"converged": converged, "n_iter": iters}


def _result(eid: str, data: IntentData, params: IntentTier, tested: np.ndarray,
            predicted: dict[str, np.ndarray], reports: dict[str, ClassReport],
            protocol: dict[str, Any], timings: dict[str, float]) -> TierResult:
    src = data.source.id
    n = len(tested)
    rows, pqs = [], []
    for m in METHODS:
        rows += [MetricRow(embedder=eid, tier=TIER, dataset=src, metric=f"{m}_accuracy",
                           value=reports[m].accuracy, higher_is_better=True, n_queries=n),
                 MetricRow(embedder=eid, tier=TIER, dataset=src, metric=f"{m}_macro_f1",
                           value=reports[m].macro_f1, higher_is_better=True, n_queries=n)]
        correct = {data.source.items[i].id: float(predicted[m][i] == data.codes[i]) for i in tested}
        pqs.append(PerQuery(embedder=eid, tier=TIER, dataset=src, metric=f"{m}_accuracy",
                            values=correct))
    details = {**_describe(data, params, tested, protocol),
               **{m: {**reports[m].to_dict(), "misclassified": _misclassified(
                   data, tested, predicted[m], params.max_misclassified)} for m in METHODS}}
    return TierResult(tier=TIER, embedder=eid, dataset=src, metrics=rows, per_query=pqs,
                      details=details, timings=timings)


def _describe(data: IntentData, params: IntentTier, tested: np.ndarray,
              protocol: dict[str, Any]) -> dict[str, Any]:
    ds = data.source
    scheme = ("given train/test split" if ds.has_split
              else f"stratified {params.folds}-fold cross-validation, out-of-fold predictions")
    return {"path": str(ds.path), "sha256": ds.sha256, "n_items": len(ds.items),
            "n_evaluated": len(tested), "labels": data.names, "support": ds.support(),
            "evaluated_support": {data.names[c]: int(np.sum(data.codes[tested] == c))
                                  for c in range(len(data.names))},
            "protocol": scheme, "knn_k": params.k, "similarity": "cosine",
            "probe_model": "LogisticRegression" + (" on standardised features"
                                                   if params.probe_standardize else ""),
            "probe_c": params.probe_c, **protocol}


def _misclassified(data: IntentData, tested: np.ndarray, predicted: np.ndarray,
                   limit: int) -> dict[str, Any]:
    wrong = [int(i) for i in tested if predicted[i] != data.codes[i]]
    items = [{"id": data.source.items[i].id, "line": data.source.items[i].line,
              "text": data.source.items[i].text, "label": data.names[data.codes[i]],
              "predicted": data.names[predicted[i]]} for i in wrong[:limit]]
    return {"count": len(wrong), "shown": len(items), "items": items}
