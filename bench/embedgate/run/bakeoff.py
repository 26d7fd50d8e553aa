"""A run of two or more embedders is a bake-off: write its leaderboards beside results.json.

`compare.md` (for a pull-request comment) and `compare.json` (written with the run's other
outputs as one unit by the runner), the same as `embedgate compare results.json` would
produce, with the default test settings. The suite's `published:` MTEB figures join as
reference rows (shown, never tested).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from embedgate.infra import atomic
from embedgate.infra.textio import check_name
from embedgate.interop.published import check_matches, published_runs
from embedgate.suite import LoadedSuite
from embedgate.judge.compare import compare
from embedgate.report.markdown import to_markdown
from embedgate.infra.errors import InputError
from embedgate.results.schema import RunResult

log = logging.getLogger("embedgate")


def references(loaded: LoadedSuite) -> list[tuple[str, RunResult]]:
    """The suite's `published:` figures as reference systems, read before any model runs."""
    out: list[tuple[str, RunResult]] = []
    for i, spec in enumerate(loaded.suite.published):
        try:
            runs = published_runs([loaded.resolve(check_name(spec.path, "published path"))],
                                  spec.tasks, spec.split)
            check_matches(runs, {d.id for d in loaded.suite.datasets},
                          "map it with tasks: {DATASET: TaskName}")
            out += runs
        except InputError as exc:
            raise InputError(f"{exc} (published at {loaded.where(('published', i))})") from None
    return out


def outputs(result: RunResult, target: Path,
            published: Sequence[tuple[str, RunResult]] = ()) -> dict[Path, str]:
    """target/compare.md and compare.json, to be written with the run's other outputs as one
    unit; none when there is nothing to compare."""
    if len(result.embedders) + len(published) < 2:
        return {}
    try:
        report = compare([(result.suite.name, result), *published])
    except InputError as exc:  # a bake-off problem must not lose the run's results
        log.warning("bake-off leaderboard skipped: %s", exc)
        return {}
    for warning in dict.fromkeys(b.holes.warning for b in report.boards
                                 if b.holes is not None and b.holes.warning):
        log.warning("%s", warning)  # unjudged documents may be deciding the bake-off
    log.info("bake-off leaderboard: %s", target / "compare.md")
    return {target / "compare.json": atomic.json_text(report.model_dump(mode="json")),
            target / "compare.md": to_markdown(report)}
