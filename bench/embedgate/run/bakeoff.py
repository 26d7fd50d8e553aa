"""A run of two or more embedders is a bake-off: write its leaderboards beside results.json.

`compare.md` (for a pull-request comment) and `compare.json`, the same as
`embedgate compare results.json` would produce, with the default test settings.
"""
from __future__ import annotations

import logging
from pathlib import Path

from embedgate.infra import atomic
from embedgate.judge.compare import compare
from embedgate.report.markdown import to_markdown
from embedgate.infra.errors import InputError
from embedgate.results.schema import RunResult

log = logging.getLogger("embedgate")


def write(result: RunResult, target: Path) -> Path | None:
    """Write target/compare.md and compare.json; None when there is nothing to compare."""
    if len(result.embedders) < 2:
        return None
    try:
        report = compare([(result.suite.name, result)])
    except InputError as exc:  # results are already saved; a bake-off problem must not lose them
        log.warning("bake-off leaderboard skipped: %s", exc)
        return None
    for warning in dict.fromkeys(b.holes.warning for b in report.boards
                                 if b.holes is not None and b.holes.warning):
        log.warning("%s", warning)  # unjudged documents may be deciding the bake-off
    atomic.write_json(target / "compare.json", report.model_dump(mode="json"))
    path = target / "compare.md"
    atomic.write_text(path, to_markdown(report))
    log.info("bake-off leaderboard: %s", path)
    return path
