"""Tie groups of a leaderboard: systems not separable from their group's best (Holm, alpha)."""
from __future__ import annotations

import numpy as np
from embedgate.judge.compare import Comparison, compare, groups_text, tie_groups

from tests.helpers.power import paired_run


def _comp(a: str, b: str, significant: bool) -> Comparison:
    return Comparison(a=a, b=b, diff=0.1, p_value=0.01, p_holm=0.01, significant=significant)


def test_groups_by_hand() -> None:
    comps = [_comp("w", "x", False), _comp("w", "y", True), _comp("w", "z", True),
             _comp("x", "y", False), _comp("x", "z", True), _comp("y", "z", False)]
    # w opens a and takes x; y (separable from w) opens b and takes z.
    assert tie_groups(["w", "x", "y", "z"], comps) == {"w": "a", "x": "a", "y": "b", "z": "b"}
    # A group holds what is not separable from its best, even past a separable system.
    gap = [_comp("w", "x", True), _comp("w", "y", False), _comp("x", "y", False)]
    assert tie_groups(["w", "x", "y"], gap) == {"w": "a", "y": "a", "x": "b"}
    assert groups_text({"w": "a", "y": "a", "x": "b"}) == "a: w, y; b: x"
    assert tie_groups(["w", "x"], []) == {}  # not tested


def test_compare_marks_two_clusters_and_says_so() -> None:
    rng = np.random.default_rng(2)
    base = rng.uniform(0.2, 0.8, 80)
    run = paired_run({"top1": base + 0.2 + rng.normal(0, 0.01, 80),
                      "top2": base + 0.2 + rng.normal(0, 0.01, 80),
                      "low1": base, "low2": base + rng.normal(0, 0.01, 80)})
    board = compare([("r", run)], method="t-test").boards[0]
    assert {e.system: e.group for e in board.entries} == {"top1": "a", "top2": "a",
                                                          "low1": "b", "low2": "b"}
    assert board.conclusion.startswith("no significant difference between top")
    assert board.conclusion.endswith("; tie groups (not separable from their best): "
                                     f"a: {board.entries[0].system}, {board.entries[1].system}; "
                                     f"b: {board.entries[2].system}, {board.entries[3].system}")


def test_two_systems_keep_their_conclusion_as_it_was() -> None:
    run = paired_run({"a": [0.9, 0.8, 0.7, 0.9], "b": [0.1, 0.2, 0.3, 0.1]})
    board = compare([("r", run)], method="t-test").boards[0]
    assert [e.group for e in board.entries] == ["a", "b"] and "tie groups" not in board.conclusion
