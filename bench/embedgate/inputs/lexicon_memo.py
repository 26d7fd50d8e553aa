"""Sampled lexicon pair groups memoised on disk, so a re-run does not parse the lexicon again.

Sampling 100 CC-CEDICT groups parses all of its 122k entries: seconds, more than the rest of
a warm re-run. The sample is a pure function of the lexicon file, the sample size, the seed
and the sampling code, so it is stored as JSON under a key over all four (the code by the
sha256 of the sampling modules: changing them invalidates every entry, no version to bump).
An unreadable entry is rebuilt; a folder that cannot be written only loses the memo.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from embedgate.infra import atomic
from embedgate.infra.hashing import file_sha256
from embedgate.inputs import lexicons, pairs
from embedgate.inputs.pairs import Candidate, PairGroup

log = logging.getLogger("embedgate")

SUBDIR = "lexicon-samples"
_CODE = (Path(lexicons.__file__), Path(pairs.__file__))


def sampled_groups(kind: str, path: Path, sample: int | None, seed: int,
                   folder: Path | None) -> tuple[list[PairGroup], int]:
    """`cilin_groups` / `cedict_groups`, read from `folder` when this sample was drawn before."""
    build = lexicons.cilin_groups if kind == "cilin" else lexicons.cedict_groups
    if folder is None:
        return build(path, sample, seed)
    entry = folder / SUBDIR / f"{kind}-{_key(path, sample, seed)}.json"
    found = _read(entry)
    if found is not None:
        return found
    groups, available = build(path, sample, seed)
    try:
        atomic.write_json(entry, {"available": available, "groups": [asdict(g) for g in groups]})
    except OSError as exc:
        log.warning("lexicon sample memo %s not written (%s); the next run samples again",
                    entry, exc.strerror or exc)
    return groups, available


def _key(path: Path, sample: int | None, seed: int) -> str:
    parts = [file_sha256(path), str(sample), str(seed), *(file_sha256(p) for p in _CODE)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _read(entry: Path) -> tuple[list[PairGroup], int] | None:
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        return [_group(g) for g in data["groups"]], int(data["available"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("lexicon sample memo %s unreadable (%s); sampling again", entry, exc)
        return None


def _group(raw: dict[str, Any]) -> PairGroup:
    cands = tuple(Candidate(**c) for c in raw.pop("candidates"))
    return PairGroup(**raw, candidates=cands)
