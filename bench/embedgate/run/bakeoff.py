"""A run of two or more embedders is a bake-off: write its leaderboards beside results.json.

`compare.md` (for a pull-request comment) and `compare.json` (written with the run's other
outputs as one unit by the runner), the same as
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


def outputs(result: RunResult, target: Path) -> dict[Path, str]:
    """target/compare.md and compare.json, to be written with the run's other outputs as one
    unit; none when there is nothing to compare."""
    if len(result.embedders) < 2:
        return {}
    try:
        report = compare([(result.suite.name, result)])
    except InputError as exc:  # a bake-off problem must not lose the run's results
        log.warning("bake-off leaderboard skipped: %s", exc)
        return {}
    log.info("bake-off leaderboard: %s", target / "compare.md")
    return {target / "compare.json": atomic.json_text(report.model_dump(mode="json")),
            target / "compare.md": to_markdown(report)}
