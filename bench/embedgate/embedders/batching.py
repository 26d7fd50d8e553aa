"""Dynamic batching: sort texts by token length, cut batches by a count and a token budget.

Transformer cost grows with the padded batch (rows × longest row), so batching texts of similar
length together wastes little on padding, and a token budget keeps a batch of long texts from
blowing up memory while letting short texts travel in big batches. Any backend can use it:

>>> batches = plan_batches([5, 50, 7, 48], max_batch=2, max_tokens=100)
>>> batches
[[1, 3], [2, 0]]
>>> restore_order(batches, np.array([[50.0], [48.0], [7.0], [5.0]])).ravel().tolist()
[5.0, 50.0, 7.0, 48.0]
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


def plan_batches(lengths: Sequence[int], max_batch: int,
                 max_tokens: int | None = None) -> list[list[int]]:
    """Group item indices into batches, longest items first.

    A batch holds at most `max_batch` items and, when `max_tokens` is given, costs at most
    `max_tokens` padded tokens: cost = len(batch) × the longest length in it. An item longer
    than the budget on its own still gets a batch of one (it must be encoded somehow). Ties keep
    the original order, so the plan is deterministic.
    """
    if max_batch < 1:
        raise ValueError(f"max_batch must be >= 1, got {max_batch}")
    if max_tokens is not None and max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1 or None, got {max_tokens}")
    # Longest first: the most expensive batch runs first, so a memory problem shows at once.
    order = sorted(range(len(lengths)), key=lambda i: (-int(lengths[i]), i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        grown_longest = max(longest, int(lengths[i]))
        too_many = len(current) + 1 > max_batch
        too_costly = max_tokens is not None and (len(current) + 1) * grown_longest > max_tokens
        if current and (too_many or too_costly):
            batches.append(current)
            current, grown_longest = [], int(lengths[i])
        current.append(i)
        longest = grown_longest
    if current:
        batches.append(current)
    return batches


def batch_order(batches: Sequence[Sequence[int]]) -> np.ndarray:
    """The original indices in the order the batches produce their rows."""
    if not batches:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.asarray(b, dtype=np.int64) for b in batches])


def restore_order(batches: Sequence[Sequence[int]], rows: np.ndarray) -> np.ndarray:
    """Put rows produced batch after batch back into the items' original order."""
    order = batch_order(batches)
    if len(order) != len(rows):
        raise ValueError(f"{len(rows)} rows for a plan of {len(order)} items")
    out = np.empty_like(rows)
    out[order] = rows
    return out


@dataclass(frozen=True)
class PlanStats:
    """What a plan costs: real tokens, padded tokens, and their ratio (1.0 = no padding)."""

    n_items: int
    n_batches: int
    real_tokens: int
    padded_tokens: int

    @property
    def padding_efficiency(self) -> float:
        return self.real_tokens / self.padded_tokens if self.padded_tokens else 1.0

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "padding_efficiency": round(self.padding_efficiency, 4)}


def plan_stats(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> PlanStats:
    """Token accounting of a plan, for results and benchmarks."""
    real = sum(int(lengths[i]) for b in batches for i in b)
    padded = sum(len(b) * max(int(lengths[i]) for i in b) for b in batches if b)
    return PlanStats(n_items=sum(len(b) for b in batches), n_batches=len(batches),
                     real_tokens=real, padded_tokens=padded)
