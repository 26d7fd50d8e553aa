"""Subprocess body for the cache's multi-process tests: encode synthetic texts via a cache.

usage: python -m tests.fakes.cache_worker CACHE_DIR OUT.npy START STOP COMMIT_EVERY SLEEP_S
Encodes texts START..STOP-1 with a keyword embedder that sleeps SLEEP_S per chunk, so a test
can kill it mid-run; writes the vectors to OUT.npy when it finishes.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embedgate.embedders.base import Role
from embedgate.encode.pipeline import EncodeOptions, EncodePipeline

from tests.fakes.keyword_embedder import KeywordEmbedder


def synthetic_texts(start: int, stop: int) -> list[str]:
    """Deterministic texts whose words overlap, so vectors differ but are not trivial."""
    return [f"doc {i} word{i % 7} term{i % 13} topic{i % 29}" for i in range(start, stop)]


class SlowKeywordEmbedder(KeywordEmbedder):
    def __init__(self, sleep_s: float) -> None:
        super().__init__()
        self.sleep_s = sleep_s

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        time.sleep(self.sleep_s)
        return super().encode(texts, role)


def main(argv: list[str]) -> int:
    cache_dir, out, start, stop, every, sleep_s = argv
    pipeline = EncodePipeline.create(EncodeOptions(cache_dir=Path(cache_dir),
                                                   commit_every=int(every)))
    vecs = pipeline(SlowKeywordEmbedder(float(sleep_s)), synthetic_texts(int(start), int(stop)),
                    "passage")
    np.save(out, np.asarray(vecs))
    print(f"computed={pipeline.stats.computed} hits={pipeline.stats.cache_hits}", flush=True)
    pipeline.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
