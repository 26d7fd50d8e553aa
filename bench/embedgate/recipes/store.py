"""Where trained recipe stages live: one folder per content key, published atomically.

A stage's key hashes everything that decides its weights: the base model's weight hash, the
training data's content hash and its selection (split, where, min_relevance), the seed, the
library versions that run the training (and embedgate's TRAINING_VERSION), and every stage up
to and including this one. The
recipe's name, description, data paths and stage names are left out, so renaming or moving
files does not retrain. A stage is trained into a temporary folder beside its final place
and renamed into it only when complete, so a crash never leaves a half-written model that a
later run would mistake for a trained one.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from embedgate.recipes.recipe import Recipe

RECORD = "stage.json"  # written last inside a stage folder; its presence marks completion
MODEL = "model"
# Bump when embedgate's own training changes what a stage produces (row layout, loss wiring,
# mining rules, the default of any recipe setting): old cache entries then stop matching
# instead of being served as current.
TRAINING_VERSION = 3


def cache_root() -> Path:
    """$EMBEDGATE_CACHE_DIR/recipes, else the user cache dir (platformdirs)/recipes."""
    env = os.environ.get("EMBEDGATE_CACHE_DIR")
    if env:
        return Path(env).expanduser() / "recipes"
    import platformdirs

    return Path(platformdirs.user_cache_dir("embedgate")) / "recipes"


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("torch", "transformers", "sentence-transformers")}


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def stage_keys(recipe: Recipe, data_sha256: str, base_sha256: str,
               extra: dict[int, str] | None = None) -> list[str]:
    """One key per stage; stage i's key chains the keys of the stages before it.

    `extra` adds per-stage content hashes that the recipe text does not show (e.g. the weights
    of a distillation student given by path).
    """
    # Fields left at their defaults are left out, so a new optional setting does not retrain
    # every cached recipe; changing a default's value therefore needs a TRAINING_VERSION bump.
    data = recipe.data.model_dump(mode="json", exclude={"beir", "pairs"}, exclude_defaults=True)
    prev = _digest({"base": base_sha256, "data": data_sha256, "selection": data,
                    "seed": recipe.seed, "versions": _versions(),
                    "embedgate_training": TRAINING_VERSION})
    keys: list[str] = []
    for i, stage in enumerate(recipe.stages):
        spec = stage.model_dump(mode="json", exclude={"name"}, exclude_defaults=True)
        prev = _digest({"previous": prev, "stage": spec, "extra": (extra or {}).get(i, "")})
        keys.append(prev)
    return keys


def stage_dir(key: str) -> Path:
    return cache_root() / key[:32]


def lookup(key: str) -> Path | None:
    """The finished stage folder for `key`, or None when it was never trained."""
    path = stage_dir(key)
    return path if (path / RECORD).is_file() and (path / MODEL).is_dir() else None


def read_record(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((path / RECORD).read_text(encoding="utf-8"))
    return record


@contextmanager
def publishing(key: str) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success rename it to the key's folder.

    If another process published the same key meanwhile, its folder wins and ours is
    discarded (both hold the same training, so either is right).
    """
    final = stage_dir(key)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        yield tmp
        if not (tmp / RECORD).is_file():
            raise RuntimeError(f"stage folder {tmp} has no {RECORD}; refusing to publish it")
        try:
            os.rename(tmp, final)
        except OSError:
            if lookup(key) is None:
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
