"""Robustness to holes and the Judged@10 warning, on hand-made rows and through compare()."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.judge.compare import compare
from embedgate.judge.holes import holes_note, judged_warning, robust_leader
from embedgate.report.markdown import to_markdown
from embedgate.results.schema import Bounds, MetricRow, PerQuery, RunResult, SuiteInfo


def _b(upper: float, cond: float) -> Bounds:
    return Bounds(unjudged_relevant=upper, condensed=cond)


def test_leader_is_robust_only_above_every_other_upper_value() -> None:
    rows = [("a", 0.60, _b(0.70, 0.80), 0.9), ("b", 0.40, _b(0.59, 0.70), 0.85)]
    assert robust_leader(rows) == "a"
    flipped = [("a", 0.60, _b(0.70, 0.80), 0.9), ("b", 0.40, _b(0.61, 0.70), 0.85)]
    note = holes_note(flipped, True)
    assert note.robust is False and robust_leader(flipped) is None
    assert note.text.startswith("a could flip: b scores 0.61 if its unjudged documents")


def test_condensed_lists_can_flip_the_leader_too() -> None:
    rows = [("a", 0.60, _b(0.70, 0.65), 0.9), ("b", 0.40, _b(0.50, 0.66), 0.9)]
    note = holes_note(rows, True)
    assert note.robust is False and "on condensed lists b scores 0.66" in note.text


def test_rows_without_bounds_are_not_assessed() -> None:
    note = holes_note([("a", 0.6, None, None), ("b", 0.4, _b(0.5, 0.5), None)], True)
    assert note.robust is None and note.text == ""


def test_judged_gap_warning_above_a_tenth_only() -> None:
    assert judged_warning({"a": 0.90, "b": 0.80}) is None
    line = judged_warning({"a": 0.90, "b": 0.75, "c": 0.85})
    assert line is not None and line.startswith("Judged@10 differs by 0.15 (> 0.1): b 0.75 vs a")


def _run(values: dict[str, tuple[float, Bounds, float]]) -> RunResult:
    rows, pqs, details = [], [], {}
    for emb, (value, bounds, judged) in values.items():
        rows.append(MetricRow(embedder=emb, tier="retrieval", dataset="d", metric="P@10",
                              value=value, higher_is_better=True, n_queries=3, bounds=bounds))
        pqs.append(PerQuery(embedder=emb, tier="retrieval", dataset="d", metric="P@10",
                            values={"q1": value, "q2": value, "q3": value}))
        details[f"retrieval/{emb}/d"] = {"holes": {"judged@10": judged}}
    return RunResult(suite=SuiteInfo(name="s", file="s.yaml", sha256="0"), provenance={},
                     embedders={e: {} for e in values}, datasets={"d": {}}, params={},
                     metrics=rows, per_query=pqs, details=details)


def test_compare_boards_and_markdown_carry_judged_and_robustness(tmp_path: Path) -> None:
    run = _run({"old": (0.5, _b(0.55, 0.6), 0.95), "new": (0.3, _b(0.7, 0.65), 0.6)})
    run.save(tmp_path / "results.json")
    board = compare([("s", RunResult.load(tmp_path / "results.json"))]).boards[0]
    assert board.holes is not None and board.holes.judged == {"old": 0.95, "new": 0.6}
    assert board.holes.robust is False and board.holes.warning is not None
    text = to_markdown(compare([("s", run)]))
    assert "| new | 0.600 | 0.7000 | 0.6500 |" in text
    assert "**Could flip**: old could flip: new scores 0.7" in text and "⚠ Judged@10" in text


@pytest.mark.parametrize("tier", ["intrinsic"])
def test_other_tiers_get_no_holes_note(tier: str) -> None:
    run = _run({"a": (0.5, _b(0.5, 0.5), 1.0), "b": (0.4, _b(0.4, 0.4), 1.0)})
    run = run.model_copy(update={"metrics": [m.model_copy(update={"tier": tier, "bounds": None})
                                             for m in run.metrics],
                                 "per_query": [p.model_copy(update={"tier": tier})
                                               for p in run.per_query]})
    assert compare([("s", run)]).boards[0].holes is None


def test_bakeoff_logs_the_judged_gap_once(tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    from embedgate.run import bakeoff

    run = _run({"old": (0.5, _b(0.55, 0.6), 0.95), "new": (0.3, _b(0.7, 0.65), 0.6)})
    assert bakeoff.outputs(run, tmp_path)  # compare.json and compare.md
    lines = [r.getMessage() for r in caplog.records if "Judged@10 differs" in r.getMessage()]
    assert lines == ["Judged@10 differs by 0.35 (> 0.1): new 0.60 vs old 0.95; unjudged "
                     "documents count as misses, so new may be underrated (see the hole "
                     "bounds, `embedgate pool`)"]
