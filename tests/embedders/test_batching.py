"""Dynamic batching: budgets respected, every item once, original order restored."""
from __future__ import annotations

import doctest

import numpy as np
import pytest

from embedgate.embedders import batching
from embedgate.embedders.batching import plan_batches, plan_stats, restore_order


def test_sorted_longest_first_and_cut_by_count() -> None:
    assert plan_batches([3, 1, 2, 5, 4], max_batch=2) == [[3, 4], [0, 2], [1]]


def test_token_budget_is_padding_aware() -> None:
    # Three 10-token items cost 30 (a fourth row would pad a short item to 10: 40 > 30);
    # the 2-token items then fill batches by count (4 × 2 = 8 tokens).
    lengths = [10, 2, 10, 2, 10, 2, 2, 2, 2]
    batches = plan_batches(lengths, max_batch=4, max_tokens=30)
    assert batches == [[0, 2, 4], [1, 3, 5, 6], [7, 8]]
    for b in batches:
        assert len(b) <= 4
        assert len(b) * max(lengths[i] for i in b) <= 30 or len(b) == 1


def test_item_over_budget_gets_its_own_batch() -> None:
    assert plan_batches([100, 5, 5], max_batch=8, max_tokens=20) == [[0], [1, 2]]


def test_ties_keep_original_order_and_every_item_appears_once() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 40, size=500).tolist()
    batches = plan_batches(lengths, max_batch=16, max_tokens=200)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(500))
    keys = [(-lengths[i], i) for i in flat]
    assert keys == sorted(keys)
    assert all(len(b) * max(lengths[i] for i in b) <= 200 for b in batches if len(b) > 1)


def test_restore_order_inverts_the_plan() -> None:
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 60, size=97).tolist()
    original = rng.normal(size=(97, 3)).astype(np.float32)
    batches = plan_batches(lengths, max_batch=7, max_tokens=150)
    produced = np.concatenate([original[b] for b in batches])
    np.testing.assert_array_equal(restore_order(batches, produced), original)


def test_restore_order_rejects_wrong_row_count() -> None:
    with pytest.raises(ValueError, match="2 rows"):
        restore_order([[0, 1, 2]], np.zeros((2, 4)))


def test_plan_stats_counts_padding() -> None:
    lengths = [4, 1, 3]
    stats = plan_stats(lengths, [[0, 2], [1]])
    assert (stats.real_tokens, stats.padded_tokens, stats.n_batches) == (8, 9, 2)
    assert stats.padding_efficiency == pytest.approx(8 / 9)


def test_bad_arguments_and_empty_input() -> None:
    assert plan_batches([], max_batch=4) == []
    assert restore_order([], np.zeros((0, 3))).shape == (0, 3)
    with pytest.raises(ValueError):
        plan_batches([1], max_batch=0)
    with pytest.raises(ValueError):
        plan_batches([1], max_batch=1, max_tokens=0)


def test_module_doctest() -> None:
    assert doctest.testmod(batching).failed == 0
