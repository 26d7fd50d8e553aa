"""A small deterministic keyword embedder for plumbing tests (no model, no randomness).

Each text becomes a bag of lower-cased whitespace tokens and characters hashed into `dim`
buckets, then L2-normalised: texts sharing words get high cosine, others near zero.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from embedgate.embedders.base import EmbedderInfo, Role, l2_normalise


class KeywordEmbedder:
    def __init__(self, id: str = "keyword", dim: int = 64) -> None:
        self.dim = dim
        self.info = EmbedderInfo(id=id, kind="keyword", name="keyword", backend="numpy",
                                 precision="fp32", dim=dim, max_seq_length=None,
                                 weights_sha256="0" * 64, pooling="bag-of-words")
        self.calls: list[tuple[int, Role]] = []

    def _bucket(self, token: str) -> int:
        return int.from_bytes(hashlib.md5(token.encode()).digest()[:4], "little") % self.dim

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        self.calls.append((len(texts), role))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in text.lower().split():
                out[i, self._bucket(token.strip("?.,!"))] += 1.0
        return l2_normalise(out)
