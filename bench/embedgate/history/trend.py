"""Trends over the stored runs and the drift gate against a pinned reference run.

The per-commit gate compares a run with the last baseline, so a slide of -0.005 a week passes
every margin; the drift gate compares it with a run pinned once (`embedgate history --pin`),
so the slide fails as soon as its sum exceeds the margin.
"""
from __future__ import annotations

from dataclasses import dataclass

from embedgate.algorithms.stats import bootstrap_ci
from embedgate.history.record import Key, RunRecord

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One block character per value, scaled between the series' min and max (· when absent).

    >>> sparkline([0.1, 0.2, None, 0.3])
    '▁▅·█'
    """
    known = [v for v in values if v is not None]
    if not known:
        return "·" * len(values)
    lo, hi = min(known), max(known)
    span = hi - lo
    return "".join("·" if v is None else BARS[0 if span == 0 else
                                               round((v - lo) / span * (len(BARS) - 1))]
                   for v in values)


@dataclass(frozen=True)
class Series:
    key: Key
    run_ids: list[str]
    values: list[float | None]

    @property
    def label(self) -> str:
        return " / ".join(self.key)


def series(runs: list[RunRecord], keys: list[Key]) -> list[Series]:
    return [Series(k, [r.run_id for r in runs], [r.value(k) for r in runs]) for k in keys]


def table(runs: list[RunRecord], keys: list[Key]) -> list[str]:
    """A text table: one row per metric (first, last, min, max, sparkline), then the runs."""
    out = [f"{len(runs)} runs, oldest first:"]
    width = max((len(s.label) for s in series(runs, keys)), default=10)
    out.append(f"  {'metric':{width}s}  {'first':>7s}  {'last':>7s}  {'min':>7s}  {'max':>7s}  trend")
    for s in series(runs, keys):
        known = [v for v in s.values if v is not None]
        if not known:
            continue
        first, last = known[0], known[-1]
        out.append(f"  {s.label:{width}s}  {first:7.4f}  {last:7.4f}  {min(known):7.4f}  "
                   f"{max(known):7.4f}  {sparkline(s.values)}")
    out.append("runs:")
    out += [f"  {r.run_id}  {r.created_at}  {(r.git_sha or '-')[:10]:10s}  {r.verdict or '-':12s}"
            f"  {r.source}" for r in runs]
    return out


@dataclass(frozen=True)
class Drift:
    key: Key
    reference: float
    current: float
    higher_is_better: bool
    margin: float
    ci: tuple[float, float] | None

    @property
    def worse_by(self) -> float:
        """How much worse the current value is than the reference (negative: better)."""
        d = self.current - self.reference
        return -d if self.higher_is_better else d

    @property
    def status(self) -> str:
        return "regressed" if self.worse_by > self.margin else "pass"

    def line(self) -> str:
        ci = f", 95% CI of current-reference [{self.ci[0]:+.4f}, {self.ci[1]:+.4f}]" if self.ci else ""
        return (f"drift {' / '.join(self.key)}: {self.status.upper()}, reference {self.reference:.4f}"
                f" -> current {self.current:.4f} (worse by {self.worse_by:+.4f}, margin "
                f"{self.margin:g}{ci})")


def drift(current: RunRecord, reference: RunRecord, keys: list[Key], margin: float) -> list[Drift]:
    """Each gated figure of `current` against the pinned `reference` run."""
    out = []
    for key in keys:
        cur, ref = current.value(key), reference.value(key)
        if cur is None or ref is None:
            continue
        out.append(Drift(key, ref, cur, current.higher_is_better(key), margin,
                         _interval(current, reference, key)))
    return out


def _interval(current: RunRecord, reference: RunRecord, key: Key) -> tuple[float, float] | None:
    a, b = current.per_query(key), reference.per_query(key)
    if not a or not b or set(a) != set(b) or len(a) < 2:
        return None
    return bootstrap_ci(a, b, 0.95, 2000, seed=0)


def data_note(current: RunRecord, reference: RunRecord) -> str | None:
    """A warning line when a dataset's files differ from the reference run's (the slide then
    mixes data and model; `embedgate explain` says how)."""
    cur, ref = current.payload.get("datasets", {}), reference.payload.get("datasets", {})
    changed = sorted(k for k in set(cur) & set(ref) if cur[k] != ref[k])
    if not changed:
        return None
    return (f"drift: note: dataset(s) {', '.join(changed)} differ from the reference run's; "
            "the drift mixes data and model (see `embedgate explain`)")
