"""An example third-party embedder plugin: character n-grams hashed into a fixed dimension.

A real plugin ships as its own distribution and declares, in its pyproject.toml::

    [project.entry-points."embedgate.embedders"]
    char-ngram = "embedgate_example_plugin:CharNgramEmbedder"

The tests install it on the fly (a dist-info folder with that entry point on sys.path), so
embedgate finds it exactly as it finds an installed one.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedgate.embedders.base import EmbedderInfo, l2_normalise


class CharNgramParams(BaseModel):
    """The plugin's own settings, validated by embedgate when the suite loads."""

    model_config = ConfigDict(extra="forbid")

    dim: int = Field(default=256, gt=0, le=1 << 16)
    ngram: int = Field(default=2, ge=1, le=5)


class CharNgramEmbedder:
    params_model = CharNgramParams

    def __init__(self, spec: Any, env: Any) -> None:
        self.params = CharNgramParams.model_validate(spec.params)
        self.info = EmbedderInfo(
            id=spec.id, kind=spec.kind, name=f"char-{self.params.ngram}gram",
            backend="numpy", precision="fp32", dim=self.params.dim, max_seq_length=None,
            weights_sha256=hashlib.sha256(self.params.model_dump_json().encode()).hexdigest(),
            pooling="bag-of-ngrams")

    def encode(self, texts: Sequence[str], role: str) -> np.ndarray:
        n, dim = self.params.ngram, self.params.dim
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, text in enumerate(texts):
            text = text.lower()
            for i in range(max(1, len(text) - n + 1)):
                digest = hashlib.blake2b(text[i:i + n].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % dim] += 1.0
        return l2_normalise(out)
