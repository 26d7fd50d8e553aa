"""Loading one pair source of a suite or recipe (a TSV file or a packaged lexicon) as a PairSet.

Shared by the intrinsic tier, which judges pair sets, and recipes, which train on or hold
apart lexicon pairs; both get the same groups for the same (source, seed).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from embedgate.infra.errors import InputError
from embedgate.infra.hashing import file_sha256
from embedgate.inputs.lexicon_memo import sampled_groups
from embedgate.inputs.lexicons import LEXICONS, lexicon_file, lexicon_version
from embedgate.inputs.pairs import PairSet, load_tsv, sample_items
from embedgate.suite import PairSource


def load_pair_set(src: PairSource, path: Path | None, seed: int,
                  memo: Path | None = None) -> PairSet:
    """One pair set with its provenance; `path` is resolved (None: the packaged lexicon).
    `memo`: a folder where lexicon samples are kept for re-runs (None: sample every time)."""
    if src.type == "tsv":
        assert path is not None  # the suite schema requires it
        groups = load_tsv(path)
        available = len(groups)
        groups = sample_items(groups, src.sample, np.random.default_rng(seed))
    else:
        path = path or lexicon_file(src.type)
        groups, available = sampled_groups(src.type, path, src.sample, seed, memo)
    source: dict[str, Any] = {"type": src.type, "path": str(path), "sha256": file_sha256(path),
                              "groups_available": available, "sample": src.sample, "seed": seed}
    if src.type in LEXICONS:
        lex = LEXICONS[src.type]
        source.update(package=f"{lex.module}=={lexicon_version(src.type)}", license=lex.license)
    if not groups:
        raise InputError(f"{path}: the pair set is empty; it needs at least one group")
    return PairSet(id=src.id, groups=tuple(groups), source=source)
