"""The sentence-transformers embedder through planned batches equals a plain encode."""
from __future__ import annotations

import numpy as np
import pytest

from embedgate.suite import SentenceTransformersSpec
from embedgate.embedders.registry import BuildEnv


@pytest.mark.slow
def test_planned_batches_match_plain_sentence_transformers_encode() -> None:
    from embedgate.embedders.st import SentenceTransformerEmbedder

    spec = SentenceTransformersSpec(id="minilm", kind="sentence-transformers",
                                    model="packaged:all-MiniLM-L6-v2", batch_size=4,
                                    max_tokens_per_batch=40, query_prefix="q: ")
    emb = SentenceTransformerEmbedder(spec, BuildEnv(where="test", progress=False))
    texts = ["short", "a somewhat longer sentence about red apples on trees",
             "x " * 60, "mid length text here", "", "another one", "tiny", "words " * 9]
    lengths = emb.token_lengths(["q: " + t for t in texts])
    assert lengths[2] > lengths[0] and min(lengths) >= 2  # [CLS] and [SEP] at least
    ours = emb.encode(texts, "query")
    plain = emb.model.encode(["q: " + t for t in texts], batch_size=32, normalize_embeddings=True)
    assert ours.dtype == np.float32 and ours.shape == plain.shape
    np.testing.assert_allclose(ours, plain, atol=1e-5)
    assert emb.info.extra["max_tokens_per_batch"] == 40 and emb.info.extra["batch_size"] == 4
