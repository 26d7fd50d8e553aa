"""embedgate.judge.power: pairs chosen from results, figures equal to the maths on their diffs."""
from __future__ import annotations

import numpy as np
import pytest
from embedgate.algorithms.power import analyse
from embedgate.infra.errors import InputError
from embedgate.judge.power import best_embedder, board_powers, pair_power, queries_text

from tests.helpers.power import paired_run

RNG = np.random.default_rng(5)
BASE = RNG.uniform(0.3, 0.9, 60)
RUN = paired_run({"weak": BASE - 0.1 + RNG.normal(0, 0.1, 60), "best": BASE,
                  "close": BASE - 0.01 + RNG.normal(0, 0.1, 60)})


def test_without_a_base_every_other_system_is_paired_with_the_best() -> None:
    assert best_embedder(RUN, "retrieval", "ds", "nDCG@10") == "best"
    rows = board_powers(RUN, "retrieval", "ds", "nDCG@10", target_delta=0.02)
    assert [(r.base, r.other) for r in rows] == [("best", "weak"), ("best", "close")]
    weak, best = (RUN.values(e, "retrieval", "ds", "nDCG@10") for e in ("weak", "best"))
    diffs = [weak[q] - best[q] for q in sorted(weak)]  # other - base, paired by query id
    assert rows[0].analysis == analyse(diffs, target_delta=0.02)
    assert rows[0].analysis.delta < 0 and rows[0].problem == ""


def test_a_degenerate_pair_is_a_problem_not_a_crash() -> None:
    run = paired_run({"a": [0.5, 0.6, 0.7], "b": [0.4, 0.5, 0.6]})  # differ by 0.1 everywhere
    row = pair_power(run, "retrieval", "ds", "nDCG@10", "a", "b")
    assert row.analysis is None and "zero variance" in row.problem


def test_the_base_cannot_be_the_other_system() -> None:
    with pytest.raises(InputError, match="best is the base"):
        board_powers(RUN, "retrieval", "ds", "nDCG@10", others=["best"])


def test_queries_text() -> None:
    assert (queries_text(None), queries_text(20297)) == ("never", "20,297")
