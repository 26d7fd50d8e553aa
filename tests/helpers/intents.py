"""Helpers for the intent and space-map tests: a lookup embedder and a suite loader."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from embedgate.suite import LoadedSuite, load_suite
from embedgate.embedders.base import EmbedderInfo, Role, l2_normalise


class LookupEmbedder:
    """Maps each known text to a given vector: lets a test fix the geometry by hand."""

    def __init__(self, table: Mapping[str, Sequence[float]], id: str = "lookup") -> None:
        self.table = {k: np.asarray(v, dtype=np.float32) for k, v in table.items()}
        dim = len(next(iter(self.table.values())))
        self.info = EmbedderInfo(id=id, kind="lookup", name="lookup", backend="numpy",
                                 precision="fp32", dim=dim, max_seq_length=None,
                                 weights_sha256="0" * 64)
        self.calls: list[tuple[int, Role]] = []

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        self.calls.append((len(texts), role))
        return l2_normalise(np.stack([self.table[t] for t in texts]))


def write_csv(path: Path, rows: Sequence[Sequence[str]], header: str = "text,label") -> Path:
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def loaded_suite(tmp_path: Path, tiers_yaml: str, datasets_yaml: str = "[]",
                 seed: int = 3) -> LoadedSuite:
    """A suite around the given `tiers:` block (a packaged model is referenced, never loaded)."""
    path = tmp_path / "suite.yaml"
    path.write_text(f"""name: t
seed: {seed}
embedders:
  - {{id: e, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2"}}
datasets: {datasets_yaml}
tiers:
{tiers_yaml}""", encoding="utf-8")
    return load_suite(path)
