"""A cheap deterministic embedder for synthetic texts (memory and scale benchmarks only).

Not a language model: each text's blake2b digest (256 bits, as ±1) is projected by a fixed
seeded 256 × dim Gaussian matrix and L2-normalised. Equal texts get equal vectors, different
texts nearly orthogonal ones; cost is a hash and a small matmul per text, so benchmarks
measure the suite's cache, memmap and index path rather than a model.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from embedgate.embedders.base import EmbedderInfo, Role, l2_normalise


class HashEmbedder:
    def __init__(self, dim: int = 512, seed: int = 0) -> None:
        self.projection = np.random.default_rng(seed).standard_normal((256, dim)).astype(np.float32)
        self.info = EmbedderInfo(id="hash", kind="synthetic-hash", name=f"hash-{dim}",
                                 backend="numpy", precision="fp32", dim=dim, max_seq_length=None,
                                 weights_sha256=hashlib.sha256(self.projection.tobytes()).hexdigest(),
                                 pooling="none")

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        digests = np.frombuffer(b"".join(hashlib.blake2b(t.encode(), digest_size=32).digest()
                                         for t in texts), dtype=np.uint8).reshape(len(texts), 32)
        signs = np.unpackbits(digests, axis=1).astype(np.float32) * 2.0 - 1.0
        return l2_normalise(signs @ self.projection)


def synthetic_texts(n: int, prefix: str = "passage") -> list[str]:
    return [f"synthetic {prefix} {i} about topic {i % 997} and item {i % 7919}" for i in range(n)]
