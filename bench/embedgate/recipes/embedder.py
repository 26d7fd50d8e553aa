"""Embedder kind `recipe`: a fine-tune recipe, trained (or fetched from the cache) when built.

The trained model is a sentence-transformers folder, encoded exactly like kind
`sentence-transformers`; `info.extra` carries what the judging needs to know about the
training: the recipe file and hash, the cache key, every stage's record (loss before and
after on the training set, steps, the loss's real temperature / margin, mining counts and a
sample of mined negatives), and which stages were trained by this run rather than cached.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from embedgate.suite import RecipeSpec, SentenceTransformersSpec
from embedgate.infra.errors import InputError
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.base import EmbedderInfo, Role
from embedgate.embedders.st import SentenceTransformerEmbedder
from embedgate.recipes.recipe import load_recipe


class RecipeEmbedder:
    """Train-or-load the recipe, then encode with the resulting model."""

    def __init__(self, spec: RecipeSpec, env: BuildEnv) -> None:
        try:
            loaded = load_recipe(env.resolve(spec.recipe))
        except InputError as exc:
            raise InputError(f"{exc} (recipe of embedder \"{spec.id}\" at {env.where})") from None
        if loaded.recipe.is_reranker:
            raise InputError(f"{env.where}: recipe {loaded.path} ends in a cross_encoder stage: "
                             "it trains a reranker, not an embedder; use it as the recipe: of "
                             "a kind: rerank system")
        # recipes.train imports torch (its losses): 0.84 s and ~300 MB that a warm run, which
        # never builds this embedder, and the perf tier's ONNX workers must not pay
        from embedgate.recipes.train import ensure_trained

        trained = ensure_trained(loaded, spec.stage, env.progress, env.where)
        inner_spec = SentenceTransformersSpec(
            id=spec.id, kind="sentence-transformers", model=str(trained.path),
            max_seq_length=spec.max_seq_length, batch_size=spec.batch_size)
        self._inner = SentenceTransformerEmbedder(inner_spec, env)
        recipe = loaded.recipe
        self.info: EmbedderInfo = replace(
            self._inner.info, kind="recipe", name=f"{recipe.name}@{trained.stage}",
            extra={**self._inner.info.extra, "recipe": _provenance(loaded, trained)})

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        return self._inner.encode(texts, role)


def _provenance(loaded: Any, trained: Any) -> dict[str, Any]:
    return {"file": str(loaded.path), "sha256": loaded.sha256, "name": loaded.recipe.name,
            "base": loaded.recipe.base, "seed": loaded.recipe.seed, "stage": trained.stage,
            "cache_key": trained.key, "model_dir": str(trained.path),
            "trained_this_run": trained.trained, "data": trained.data.stats,
            "stages": trained.records}
