"""Choosing among cost / quality trade-offs: the Pareto frontier and the cheapest passing option.

A configuration costs ``bytes`` (less is better) and has a ``quality`` (more is better).
It is on the frontier when no other one is at least as cheap and at least as good, and
strictly better in one of the two. Among those that pass a non-inferiority rule, the cheapest
is the one with the fewest bytes, ties broken by latency, then by id (so a choice is stable).

>>> frontier([(4.0, 0.9), (1.0, 0.8), (2.0, 0.7), (1.0, 0.8)])
[0, 1, 3]
>>> non_inferior(-0.004, 0.01), non_inferior(-0.02, 0.01)
(True, False)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def frontier(points: Sequence[tuple[float, float]]) -> list[int]:
    """Positions of the (bytes, quality) points that no other point dominates (ties stay)."""
    out = []
    for i, (cost, quality) in enumerate(points):
        dominated = any(c <= cost and q >= quality and (c < cost or q > quality)
                        for c, q in points)
        if not dominated:
            out.append(i)
    return out


def non_inferior(ci_low: float, margin: float) -> bool:
    """Non-inferior at `margin`: the interval's lower bound of (config - reference), in
    "improvement" units, is not below ``-margin``."""
    return ci_low >= -margin


@dataclass(frozen=True)
class Option:
    """One configuration as the rule sees it."""

    id: str
    bytes_per_vector: float
    latency_ms: float
    passes: bool


def cheapest_passing(options: Sequence[Option]) -> Option | None:
    """Fewest bytes per vector among the passing options; ties by latency, then id."""
    passing = [o for o in options if o.passes]
    if not passing:
        return None
    return min(passing, key=lambda o: (o.bytes_per_vector, o.latency_ms, o.id))
