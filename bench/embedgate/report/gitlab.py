"""GitLab's Code Quality report (a JSON list) from a results file: one issue per gate that did
not pass, located at the gate's `file:line` in the suite, so a merge request shows it inline.

Format: https://docs.gitlab.com/ci/testing/code_quality/ (description, check_name,
fingerprint, severity, location.path, location.lines.begin).
"""
from __future__ import annotations

import hashlib
from typing import Any

from embedgate.results.schema import RunResult

SEVERITY = {"regressed": "major", "inconclusive": "minor"}


def codequality(result: RunResult) -> list[dict[str, Any]]:
    if result.verdict is None:
        return []
    issues = []
    for g in result.verdict.gates:
        if g.status == "pass":
            continue
        path, line = _location(g.where, result.suite.file)
        issues.append({
            "description": g.message(), "check_name": f"embedgate/{g.kind}",
            "fingerprint": hashlib.sha256(f"{result.suite.name}/{g.name}".encode()).hexdigest(),
            "severity": SEVERITY[g.status],
            "location": {"path": path, "lines": {"begin": line}}})
    return issues


def _location(where: str, fallback: str) -> tuple[str, int]:
    """`suite.yaml:12 (gate "x")` -> ("suite.yaml", 12); the suite file, line 1, otherwise."""
    head = where.split(" (", 1)[0]
    path, _, line = head.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return fallback, 1
