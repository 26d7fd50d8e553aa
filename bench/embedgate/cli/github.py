"""`--github` (or $GITHUB_STEP_SUMMARY set): write the step summary, the PR comment file and
print the annotations after `embedgate run` / `embedgate gate`."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from embedgate.infra import atomic

if TYPE_CHECKING:
    from embedgate.results.schema import RunResult

COMMENT_FILE = "pr-comment.md"


def wanted(flag: bool) -> bool:
    return flag or bool(os.environ.get("GITHUB_STEP_SUMMARY"))


def write(result: RunResult, why: list[str], target: Path, report: Path) -> None:
    """Append the summary to $GITHUB_STEP_SUMMARY (else target/step-summary.md), write
    target/pr-comment.md, print the annotations on stdout (where the runner reads them)."""
    from embedgate.report.github import annotations, comment_markdown, summary_markdown

    summary = summary_markdown(result, why, str(report))
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        with open(step, "a", encoding="utf-8") as fh:  # the runner's file: append, as documented
            fh.write(summary)
    else:
        atomic.write_text(target / "step-summary.md", summary)
    atomic.write_text(target / COMMENT_FILE, comment_markdown(result, why, str(report)))
    for line in annotations(result):
        print(line)
    print(f"github: {target / COMMENT_FILE}")
