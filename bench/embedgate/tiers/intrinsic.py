"""Intrinsic tier: do synonyms and translations land closer to their anchor than negatives do?

For every pair set (a project TSV, or groups sampled from Cilin / CC-CEDICT) each distinct
text is encoded once (role "query": pairs are symmetric, and e5-style models want "query: "
for symmetric similarity), cosines of anchor–candidate pairs are scored, and metrics are
reported for the whole set ("auc") and per slice = domain/language ("auc[medical/zh]").
Anchors whose positive scores at or below a negative are listed in details["failures"].
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedgate.algorithms import geometry as im
from embedgate.suite import IntrinsicTier, LoadedSuite, PairSource
from embedgate.tiers.context import RunContext
from embedgate.embedders.base import Embedder, Role
from embedgate.infra.errors import InputError
from embedgate.inputs.pair_sets import load_pair_set
from embedgate.inputs.pairs import PairGroup, PairSet
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.tiers import JudgedTexts, Unit

TIER = "intrinsic"
ROLE: Role = "query"
ALL = "all"  # the slice key of the whole pair set; its metric rows carry no "[...]" suffix

# name -> (higher_is_better, unit). Anchor-level metrics also get per-anchor values.
METRICS: dict[str, tuple[bool, str]] = {
    "top1": (True, ""), "mrr": (True, ""), "margin": (True, "cosine"),
    "auc": (True, ""), "auc_hard": (True, ""), "ks": (True, ""),
    "cos_pos_mean": (True, "cosine"), "cos_neg_mean": (False, "cosine"),
    "anisotropy": (False, "cosine"), "alignment": (False, ""), "uniformity": (False, ""),
}
PER_ANCHOR = ("top1", "mrr", "margin")


def metric_name(base: str, slice_key: str) -> str:
    """ "auc" for the whole set, "auc[medical/zh]" for one domain/language slice."""
    return base if slice_key == ALL else f"{base}[{slice_key}]"


# ---------------------------------------------------------------------------- prepare


def prepare(params: IntrinsicTier, loaded: LoadedSuite, datasets: object) -> list[Unit]:
    """Load, sample and check every pair set before any model runs."""
    return [(src.id, _load(src, i, loaded)) for i, src in enumerate(params.pairs)]


def _load(src: PairSource, index: int, loaded: LoadedSuite) -> PairSet:
    loc: tuple[str | int, ...] = ("tiers", TIER, "pairs", index)
    seed = loaded.suite.seed if src.seed is None else src.seed
    try:
        return load_pair_set(src, loaded.resolve(src.path) if src.path else None, seed,
                             memo=loaded.cache_root())
    except InputError as exc:
        where = loaded.where(loc + (("path",) if src.path else ()))
        raise InputError(f'{exc} (pair set "{src.id}" at {where})') from None


# ---------------------------------------------------------------------------- run


@dataclass(frozen=True)
class ScoredGroup:
    """One anchor's cosines to its positives and negatives (candidate order kept)."""

    group: PairGroup
    pos: np.ndarray
    neg: np.ndarray
    pos_text: tuple[str, ...]
    neg_text: tuple[str, ...]
    neg_label: tuple[str, ...]
    score: im.AnchorScore


def judged_texts(unit_id: str | None, data: PairSet) -> JudgedTexts:
    """The anchors it ranks candidates for; ids are group ids, so only texts compare."""
    return JudgedTexts({g.id: g.anchor for g in data.groups}, "sampled groups",
                       f'{TIER} pair set "{unit_id}"', with_positives=True)


def run(embedder: Embedder, data: PairSet, params: IntrinsicTier, ctx: RunContext) -> TierResult:
    """Encode each distinct text once, score every group, summarise the set and its slices."""
    t0 = time.perf_counter()
    texts = data.texts()
    vecs = np.asarray(ctx.encode(embedder, texts, ROLE), dtype=np.float64)
    row = {t: i for i, t in enumerate(texts)}
    timings = {"encode_s": time.perf_counter() - t0}
    t1 = time.perf_counter()
    scored = [score_group(g, vecs, row) for g in data.groups]
    eid = embedder.info.id
    rows: list[MetricRow] = []
    pqs: list[PerQuery] = []
    slices: dict[str, Any] = {}
    for key, part in _slices(scored):
        values, per_anchor = summarise(part, vecs, row, ctx.rng(f"{TIER}:{data.id}:{key}"))
        rows += [MetricRow(embedder=eid, tier=TIER, dataset=data.id, metric=metric_name(m, key),
                           value=v, higher_is_better=METRICS[m][0], n_queries=n,
                           unit=METRICS[m][1]) for m, (v, n) in values.items()]
        pqs += [PerQuery(embedder=eid, tier=TIER, dataset=data.id, metric=metric_name(m, key),
                         values=per_anchor[m]) for m in PER_ANCHOR]
        slices[key] = describe(part)
    timings["score_s"] = time.perf_counter() - t1
    details = {"source": data.source, "role": ROLE, "n_groups": len(data.groups),
               "n_pairs": data.n_pairs, "n_texts": len(texts), "slices": slices,
               "failures": failures(scored)}
    return TierResult(tier=TIER, embedder=eid, dataset=data.id, metrics=rows, per_query=pqs,
                      details=details, timings=timings)


def score_group(group: PairGroup, vecs: np.ndarray, row: dict[str, int]) -> ScoredGroup:
    cos = vecs[[row[c.text] for c in group.candidates]] @ vecs[row[group.anchor]]
    positive = np.array([c.positive for c in group.candidates])
    pos = [c for c in group.candidates if c.positive]
    neg = [c for c in group.candidates if not c.positive]
    return ScoredGroup(group=group, pos=cos[positive], neg=cos[~positive],
                       pos_text=tuple(c.text for c in pos), neg_text=tuple(c.text for c in neg),
                       neg_label=tuple(c.label for c in neg),
                       score=im.anchor_score(cos[positive], cos[~positive]))


def _slices(scored: list[ScoredGroup]) -> Iterable[tuple[str, list[ScoredGroup]]]:
    yield ALL, scored
    keys = sorted({s.group.slice for s in scored})
    for key in keys:
        yield key, [s for s in scored if s.group.slice == key]


def summarise(part: list[ScoredGroup], vecs: np.ndarray, row: dict[str, int],
              rng: np.random.Generator) -> tuple[dict[str, tuple[float, int]], dict[str, dict[str, float]]]:
    """Metric values with their item counts, and per-anchor values, for a list of groups.

    Metrics that cannot be computed (auc_hard without related negatives) are left out.
    """
    pos = np.concatenate([s.pos for s in part])
    neg = np.concatenate([s.neg for s in part])
    hard = np.concatenate([s.neg[np.array(s.neg_label) == "related"] for s in part])
    per_anchor = {"top1": {s.group.id: s.score.top1 for s in part},
                  "mrr": {s.group.id: s.score.rr for s in part},
                  "margin": {s.group.id: s.score.margin for s in part}}
    texts = list(dict.fromkeys(t for s in part for t in (s.group.anchor,) + s.pos_text + s.neg_text))
    space = vecs[[row[t] for t in texts]]
    anchors = vecs[[row[s.group.anchor] for s in part for _ in s.pos_text]]
    positives = vecs[[row[t] for s in part for t in s.pos_text]]
    n_groups, n_pairs = len(part), int(pos.size + neg.size)
    values: dict[str, tuple[float, int]] = {
        **{m: (float(np.mean(list(per_anchor[m].values()))), n_groups) for m in PER_ANCHOR},
        "auc": (im.roc_auc(pos, neg), n_pairs), "auc_hard": (im.roc_auc(pos, hard), int(pos.size + hard.size)),
        "ks": (im.ks_statistic(pos, neg), n_pairs),
        "cos_pos_mean": (float(pos.mean()), int(pos.size)), "cos_neg_mean": (float(neg.mean()), int(neg.size)),
        "anisotropy": (im.anisotropy(space, rng), len(texts)),
        "alignment": (im.alignment(anchors, positives), int(pos.size)),
        "uniformity": (im.uniformity(space, rng=rng), len(texts)),
    }
    return {m: v for m, v in values.items() if np.isfinite(v[0])}, per_anchor


def describe(part: list[ScoredGroup]) -> dict[str, Any]:
    """Cosine distributions (positives, all negatives, related, unrelated) and histograms."""
    pos = np.concatenate([s.pos for s in part])
    by_label: dict[str, list[float]] = {"related": [], "unrelated": []}
    for s in part:
        for label, c in zip(s.neg_label, s.neg):
            by_label[label].append(float(c))
    neg = by_label["related"] + by_label["unrelated"]
    hist_pos, hist_neg = im.histogram(pos), im.histogram(neg)
    return {"n_groups": len(part), "n_pairs": int(pos.size) + len(neg),
            "cosines": {"positive": im.distribution(pos), "negative": im.distribution(neg),
                        "related": im.distribution(by_label["related"]),
                        "unrelated": im.distribution(by_label["unrelated"])},
            "histogram": {"edges": hist_pos["edges"], "positive": hist_pos["counts"],
                          "negative": hist_neg["counts"]}}


def failures(scored: list[ScoredGroup]) -> dict[str, Any]:
    """Every (anchor, positive) that a negative ties or beats, worst margin first."""
    items: list[dict[str, Any]] = []
    for s in scored:
        hardest = int(np.argmax(s.neg))
        for text, c in zip(s.pos_text, s.pos):
            above = int(np.sum(s.neg >= c))
            if above:
                items.append({"group": s.group.id, "slice": s.group.slice, "anchor": s.group.anchor,
                              "positive": text, "positive_cos": float(c),
                              "negative": s.neg_text[hardest], "negative_label": s.neg_label[hardest],
                              "negative_cos": float(s.neg[hardest]), "negatives_at_or_above": above,
                              "margin": float(c - s.neg[hardest])})
    items.sort(key=lambda it: it["margin"])
    return {"count": len(items), "anchors": len({it["group"] for it in items}), "items": items}
