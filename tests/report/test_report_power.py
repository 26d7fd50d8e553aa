"""The report's "How many queries are enough" section and the leaderboard's tie groups."""
from __future__ import annotations

import re

import numpy as np
from embedgate.algorithms.power import analyse
from embedgate.report.render import render
from embedgate.report.sections import Inputs, power

from tests.helpers.power import paired_run

RNG = np.random.default_rng(4)
BASE = RNG.uniform(0.3, 0.9, 40)
HOSTILE = "<script>alert(1)</script>"
VALUES = {"best": BASE, HOSTILE: BASE - 0.1 + RNG.normal(0, 0.1, 40),
          "close": BASE - 0.01 + RNG.normal(0, 0.02, 40)}


def test_every_pair_against_the_best_with_its_figures() -> None:
    view = power.build(Inputs(paired_run(VALUES, datasets=("d1", "d2"))))
    assert view is not None
    rows = [[c.text for c in row] for row in view.table.rows]
    assert [r[:4] for r in rows] == [[ds, "nDCG@10", "best", o] for ds in ("d1", "d2")
                                     for o in (HOSTILE, "close")]
    want = analyse(VALUES["close"] - BASE)
    assert rows[1][4:] == ["40", f"{want.delta:.4f}", f"{want.sd:.4f}",
                           f"{want.achieved_power:.2f}", f"{want.mde:.4f}",
                           f"{want.needed_observed:,}"]


def test_one_embedder_has_no_section() -> None:
    assert power.build(Inputs(paired_run({"best": BASE}))) is None


def test_rendered_escaped_and_tie_groups_in_the_leaderboard() -> None:
    html = render(paired_run(VALUES))
    assert "<h2>How many queries are enough</h2>" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    board = html[html.index('data-key="leaderboard"'):]
    groups = re.findall(r'<span class="sub">([a-z])</span>', board[:board.index("</table>")])
    assert groups and groups[0] == "a" and "tie groups" in html
