"""Bake-offs: leaderboards per tier / dataset / metric with paired significance tests.

Systems are (results file, embedder) pairs: one results.json of an N-embedder suite, or several
results files. In each leaderboard every pair of systems is tested on its per-query values
(Fisher randomisation or paired t-test, see stats.py), the p-values of that leaderboard are
Holm-corrected together, and a winner is named only when the best system is significantly
better than every other one; otherwise the board says "no significant difference".

>>> report = compare([("quickstart", run)])          # doctest: +SKIP
>>> print(to_markdown(report))                       # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from pydantic import BaseModel, ConfigDict, Field

from embedgate.infra.errors import InputError
from embedgate.judge.gates import check_comparable
from embedgate.judge.holes import HolesNote, holes_note, judged_of
from embedgate.results.schema import MetricRow, RunResult
from embedgate.algorithms.stats import holm, paired_test


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Entry(_Rec):
    rank: int
    system: str
    value: float
    n_queries: int
    diff_to_best: float | None = None  # value - leader's value, in the metric's units
    p_vs_best: float | None = None  # Holm-adjusted
    group: str | None = None  # tie group letter (see tie_groups); None: not tested
    published: bool = False  # a published figure: no per-query values, never tested


class Comparison(_Rec):
    a: str
    b: str
    diff: float  # mean(a) - mean(b), metric units
    p_value: float
    p_holm: float
    significant: bool


class Board(_Rec):
    tier: str
    dataset: str
    metric: str
    higher_is_better: bool
    unit: str = ""
    entries: list[Entry]
    comparisons: list[Comparison] = Field(default_factory=list)
    winner: str | None = None
    conclusion: str
    holes: HolesNote | None = None  # retrieval boards: Judged@10 and robustness to holes


class CompareReport(_Rec):
    method: str
    alpha: float
    n_resamples: int
    seed: int
    sources: dict[str, str]  # system label -> "file, embedder id"
    boards: list[Board]
    # Pipelines (fusions, rerankers) not significantly better than their best input.
    weakest_links: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class System:
    label: str
    run: RunResult
    embedder: str
    source: str
    published: bool = False  # interop/published.py marks such runs in provenance



def systems(runs: Sequence[tuple[str, RunResult]]) -> list[System]:
    """Every embedder of every run; labelled by embedder id, prefixed by the run when needed."""
    counts: dict[str, int] = {}
    for _, run in runs:
        for emb in run.embedders:
            counts[emb] = counts.get(emb, 0) + 1
    out: list[System] = []
    for label, run in runs:
        for emb in run.embedders:
            name = emb if counts[emb] == 1 else f"{label}:{emb}"
            out.append(System(name, run, emb, f"{label}, embedder {emb}",
                              bool(run.provenance.get("published"))))
    if len({s.label for s in out}) != len(out):
        raise InputError("two results files have the same label and embedder; pass distinct files")
    return out


def compare(runs: Sequence[tuple[str, RunResult]], method: str = "randomization",
            alpha: float = 0.05, n_resamples: int = 10_000, seed: int = 0) -> CompareReport:
    """Leaderboards for every (tier, dataset, metric) at least two systems report."""
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be between 0 and 1, got {alpha}")
    members = systems(runs)
    keys = sorted({(r.tier, r.dataset, r.metric) for s in members for r in s.run.metrics
                   if r.embedder == s.embedder})
    boards: list[Board] = []
    for tier, dataset, metric in keys:
        rows = [(s, row) for s in members
                if (row := s.run.metric(s.embedder, tier, dataset, metric)) is not None]
        if len(rows) >= 2:
            _check_rows(rows)
            boards.append(_board(rows, method, alpha, n_resamples, seed))
    if not boards:
        raise InputError("nothing to compare: no metric is reported by two or more systems")
    return CompareReport(method=method, alpha=alpha, n_resamples=n_resamples, seed=seed,
                         sources={s.label: s.source for s in members}, boards=boards,
                         weakest_links=[n for s in members for n in weakest_links(s)])


def weakest_links(system: System) -> list[str]:
    """One line per dataset where the system is a pipeline no better than its best input."""
    out: list[str] = []
    for key, data in system.run.details.items():
        tier, emb, dataset = (key.split("/", 2) + ["", ""])[:3]
        pipeline = data.get("pipeline") if isinstance(data, dict) else None
        if tier != "retrieval" or emb != system.embedder or not isinstance(pipeline, dict):
            continue
        metrics = pipeline.get("weakest_link") or []
        if metrics:
            best = {str(pipeline["vs_best_input"][m]["input"]) for m in metrics}
            out.append(f"{system.label} on {dataset}: not significantly better than its best "
                       f"input ({', '.join(sorted(best))}) on {', '.join(metrics)}")
    return out


def _check_rows(rows: list[tuple[System, MetricRow]]) -> None:
    """All systems of a board must have measured the same thing the same way."""
    first, row0 = next((sr for sr in rows if not sr[0].published), rows[0])
    where = f"{row0.tier}/{row0.dataset}/{row0.metric}"
    for other, row in rows:
        if other.run is not first.run and not (first.published or other.published):
            check_comparable(first.run.datasets, first.run.params, other.run, row.tier,
                             row.dataset, where, f"{other.source} vs {first.source}")
        if (row.higher_is_better, row.unit) != (row0.higher_is_better, row0.unit):
            raise InputError(f"{where}: {other.source} is not comparable: metric definition "
                             f"(higher_is_better, unit) differs from {first.source}")
        if row.tier == "cost" and _prices(other.run) != _prices(first.run):
            raise InputError(f"{where}: {other.source} is not comparable: cost prices differ "
                             f"from {first.source} (params.cost: {_prices(other.run)} vs "
                             f"{_prices(first.run)}); price both runs alike")


def _prices(run: RunResult) -> dict[str, object]:
    """The run-wide prices a cost row depends on (per-embedder prices differ by design)."""
    cost = run.params.get("cost") or {}
    return {k: cost.get(k) for k in ("cpu_usd_per_hour", "ram_usd_per_gb_month",
                                     "queries_per_month")}


def _board(rows: list[tuple[System, MetricRow]], method: str, alpha: float, n_resamples: int,
           seed: int) -> Board:
    row0 = rows[0][1]
    sign = 1.0 if row0.higher_is_better else -1.0
    ranked = sorted(rows, key=lambda sr: -sign * sr[1].value)
    tested = [sr for sr in ranked if not sr[0].published]  # published rows are shown, not tested
    comps = _comparisons(tested, method, alpha, n_resamples, seed) if tested else []
    vs_best = {c.b: c for c in comps if c.a == tested[0][0].label}
    groups = tie_groups([s.label for s, _ in tested], comps)
    entries = [Entry(rank=i + 1, system=s.label, value=row.value, n_queries=row.n_queries,
                     diff_to_best=None if i == 0 else row.value - ranked[0][1].value,
                     p_vs_best=vs_best[s.label].p_holm if s.label in vs_best else None,
                     group=groups.get(s.label), published=s.published)
               for i, (s, row) in enumerate(ranked)]
    winner, conclusion = _conclusion(tested, comps, alpha, sign) if len(tested) > 1 else (None, "")
    published = [s.label for s, _ in ranked if s.published]
    if published:
        conclusion = "; ".join(filter(None, [conclusion, PUBLISHED_NOTE + ", ".join(published)]))
    if len(tested) > 2 and groups:  # with two systems the conclusion already says it all
        conclusion += "; tie groups (not separable from their best): " + groups_text(groups)
    return Board(tier=row0.tier, dataset=row0.dataset, metric=row0.metric,
                 higher_is_better=row0.higher_is_better, unit=row0.unit, entries=entries,
                 comparisons=comps, winner=winner, conclusion=conclusion, holes=_holes(ranked))


def _holes(ranked: list[tuple[System, MetricRow]]) -> HolesNote | None:
    """Judged@10 and robustness to holes, for retrieval boards only (judge/holes.py)."""
    if ranked[0][1].tier != "retrieval":
        return None
    return holes_note([(s.label, r.value, r.bounds, judged_of(s.run, s.embedder, r.dataset))
                       for s, r in ranked], ranked[0][1].higher_is_better)


PUBLISHED_NOTE = ("published figures carry no per-query values, so they are shown for reference "
                  "and no significance is claimed against them: ")


def _comparisons(ranked: list[tuple[System, MetricRow]], method: str, alpha: float,
                 n_resamples: int, seed: int) -> list[Comparison]:
    """All pairs (better-ranked first), Holm-corrected together.

    [] (board "not tested") without per-query values or with fewer than two of them, e.g. an
    intrinsic slice holding a single anchor: one board must not sink the whole bake-off.
    """
    values = [s.run.values(s.embedder, r.tier, r.dataset, r.metric) for s, r in ranked]
    if any(v is None or len(v) < 2 for v in values):
        return []
    tests = []
    for i, j in combinations(range(len(ranked)), 2):
        a, b = values[i], values[j]
        assert a is not None and b is not None
        try:
            tests.append((i, j, paired_test(a, b, method=method,  # type: ignore[arg-type]
                                            n_resamples=n_resamples, seed=seed)))
        except InputError as exc:
            r = ranked[i][1]
            raise InputError(f"{r.tier}/{r.dataset}/{r.metric}: {ranked[i][0].label} vs "
                             f"{ranked[j][0].label}: {exc}") from None
    adjusted = holm([t.p_value for _, _, t in tests])
    return [Comparison(a=ranked[i][0].label, b=ranked[j][0].label, diff=t.diff,
                       p_value=t.p_value, p_holm=p, significant=p < alpha)
            for (i, j, t), p in zip(tests, adjusted)]


def tie_groups(ranked: Sequence[str], comps: Sequence[Comparison]) -> dict[str, str]:
    """Letters for systems not separable from their group's best (Holm-adjusted, at alpha).

    Walking the ranking, the best system still without a group opens the next letter and takes
    in every lower-ranked system without one whose difference from it is not significant, so
    groups never overlap and a group's letter says "not shown different from its best".
    {} when the board was not tested. ``comps`` hold one Comparison per pair, better first.

    >>> c = [Comparison(a="x", b="y", diff=0.1, p_value=0.2, p_holm=0.2, significant=False),
    ...      Comparison(a="x", b="z", diff=0.3, p_value=0.01, p_holm=0.03, significant=True),
    ...      Comparison(a="y", b="z", diff=0.2, p_value=0.02, p_holm=0.04, significant=True)]
    >>> tie_groups(["x", "y", "z"], c)
    {'x': 'a', 'y': 'a', 'z': 'b'}
    """
    significant = {(c.a, c.b): c.significant for c in comps}
    if not significant:
        return {}
    groups: dict[str, str] = {}
    for i, leader in enumerate(ranked):
        if leader not in groups:
            letter = _letter(len(set(groups.values())))
            tied = [s for s in ranked[i + 1:]
                    if s not in groups and not significant.get((leader, s), False)]
            groups.update({s: letter for s in [leader, *tied]})
    return groups


def _letter(index: int) -> str:
    return chr(ord("a") + index) if index < 26 else f"g{index + 1}"


def groups_text(groups: dict[str, str]) -> str:
    """``a: x, y; b: z`` in letter order."""
    letters = dict.fromkeys(groups.values())
    return "; ".join(f"{g}: {', '.join(s for s, h in groups.items() if h == g)}" for g in letters)


def _conclusion(ranked: list[tuple[System, MetricRow]], comps: list[Comparison], alpha: float,
                sign: float) -> tuple[str | None, str]:
    leader = ranked[0][0].label
    if not comps:
        return None, "not tested: fewer than two per-query values, so no winner is named"
    mine = [c for c in comps if c.a == leader]
    if all(c.significant and sign * c.diff > 0 for c in mine):
        worst_p = max(c.p_holm for c in mine)
        return leader, (f"{leader} is significantly better than every other system "
                        f"(Holm-adjusted p ≤ {worst_p:.3g}, α = {alpha:g})")
    tied = [leader] + [c.b for c in mine if not (c.significant and sign * c.diff > 0)]
    best_p = min(c.p_holm for c in mine if c.b in tied)
    return None, (f"no significant difference between {', '.join(tied)} "
                  f"(Holm-adjusted p = {best_p:.3g}, α = {alpha:g})")
