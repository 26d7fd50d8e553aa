"""A one-embedder (packaged MiniLM) suite file for bad-input tests: the header is fixed so the
line numbers the tests expect depend only on the body they pass."""
from __future__ import annotations

from pathlib import Path

HEADER = """name: bad
embedders:
  - id: e1
    kind: sentence-transformers
    model: packaged:all-MiniLM-L6-v2
"""


def minilm_suite(tmp_path: Path, body: str) -> Path:
    """Write HEADER + body (datasets:, tiers: …) to tmp_path/suite.yaml."""
    path = tmp_path / "suite.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path
