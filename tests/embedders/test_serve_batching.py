"""Dynamic batcher and query LRU of `serve-openai`: coalescing, routing, errors, eviction.

The batcher tests hold the model's first call on an event until every request is queued, so
the coalescing they check does not depend on timing."""
from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from embedgate.embedders.base import Role
from embedgate.embedders.serve import OpenAIEmbeddingsServer
from embedgate.embedders.serve_batching import DynamicBatcher, QueryCache, Serving
from tests.fakes.keyword_embedder import KeywordEmbedder


class GatedModel:
    """Encodes text i as the vector [i, 0, …]; the first call waits until `release` is set."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()
        self.fail_on = fail_on

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if not self.calls:
            self.release.wait(timeout=10)
        self.calls.append(list(texts))
        if self.fail_on is not None and self.fail_on in texts:
            raise ValueError("model failed")
        out = np.zeros((len(texts), 4), dtype=np.float32)
        out[:, 0] = [float(t.split("-")[1]) for t in texts]
        return out


def _fire(batcher: DynamicBatcher, model: GatedModel, n: int) -> dict[int, object]:
    """n concurrent callers; the model is released once all but the first are queued."""
    answers: dict[int, object] = {}

    def call(i: int) -> None:
        try:
            answers[i] = batcher([f"t-{i}", f"t-{i + 1000}"], "query")
        except Exception as exc:
            answers[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    threads[0].start()
    while batcher.stats.encode_calls == 0:  # the worker took request 0 and waits in the model
        threading.Event().wait(0.001)
    for t in threads[1:]:
        t.start()
    while batcher._queue.qsize() < n - 1:
        threading.Event().wait(0.001)
    model.release.set()
    for t in threads:
        t.join(timeout=10)
    return answers


def test_concurrent_requests_coalesce_and_each_gets_its_rows() -> None:
    model = GatedModel()
    with DynamicBatcher(model.encode, max_batch=64, max_wait_ms=0) as batcher:
        answers = _fire(batcher, model, 9)
    assert len(model.calls) == 2  # request 0 alone, then the 8 queued behind it together
    assert sorted(len(c) for c in model.calls) == [2, 16]
    for i, vecs in answers.items():
        assert isinstance(vecs, np.ndarray)
        assert vecs[:, 0].tolist() == [i, i + 1000]
    assert batcher.stats.requests == 9 and batcher.stats.texts == 18


def test_max_batch_caps_the_coalesced_call() -> None:
    model = GatedModel()
    with DynamicBatcher(model.encode, max_batch=4, max_wait_ms=0) as batcher:
        _fire(batcher, model, 7)
    assert max(len(c) for c in model.calls) <= 4
    assert sum(len(c) for c in model.calls) == 14


def test_an_encode_error_reaches_every_caller_of_that_call() -> None:
    model = GatedModel(fail_on="t-3")
    with DynamicBatcher(model.encode, max_batch=64, max_wait_ms=0) as batcher:
        answers = _fire(batcher, model, 5)
    assert isinstance(answers[0], np.ndarray)  # encoded alone, before the failing batch
    assert all(isinstance(answers[i], ValueError) for i in range(1, 5))


def test_roles_never_share_an_encode_call() -> None:
    calls: list[tuple[int, str]] = []

    def encode(texts: Sequence[str], role: Role) -> np.ndarray:
        calls.append((len(texts), role))
        return np.ones((len(texts), 2), dtype=np.float32)

    with DynamicBatcher(encode, max_batch=8) as batcher:
        batcher(["a"], "query")
        batcher(["b", "c"], "passage")
    assert calls == [(1, "query"), (2, "passage")]


def test_lru_hits_and_evicts_least_recent() -> None:
    model = KeywordEmbedder(dim=16)
    cache = QueryCache(model.encode, size=2)
    first = cache(["alpha", "beta"], "query")
    again = cache(["beta", "alpha"], "query")
    assert np.array_equal(again, first[::-1])
    assert (cache.stats.hits, cache.stats.misses) == (2, 2)
    cache(["gamma"], "query")  # evicts beta: alpha was used after it
    assert cache.stats.evictions == 1 and len(cache) == 2
    cache(["alpha"], "query")
    assert (cache.stats.hits, cache.stats.misses) == (3, 3)
    cache(["beta"], "query")
    assert cache.stats.misses == 4
    assert len(model.calls) == 3  # one encode call per batch with a miss


def test_lru_leaves_passages_alone() -> None:
    model = KeywordEmbedder(dim=16)
    cache = QueryCache(model.encode, size=4)
    cache(["alpha"], "passage")
    cache(["alpha"], "passage")
    assert cache.stats.hits == 0 and len(cache) == 0 and len(model.calls) == 2


def test_server_with_batching_and_lru_answers_like_the_model() -> None:
    from embedgate.embedders.load.driver import Sender, Target

    model = KeywordEmbedder(dim=16)
    chain = Serving(max_batch=8, max_wait_ms=1, cache_size=4).wrap(model.encode)
    try:
        with OpenAIEmbeddingsServer(chain.encode, 16, "keyword", serialise=False) as server:
            client = Sender(Target.of(server.base_url, "keyword"))
            got = np.asarray(client.embed(["alpha beta", "gamma"], "query"))
            again = np.asarray(client.embed(["alpha beta"], "query"))
    finally:
        chain.close()
    assert np.allclose(got, KeywordEmbedder(dim=16).encode(["alpha beta", "gamma"], "query"))
    assert np.allclose(again[0], got[0])
    assert chain.cache is not None and chain.cache.stats.hits == 1


def test_bad_settings_refused() -> None:
    with pytest.raises(ValueError):
        QueryCache(lambda t, r: np.zeros((0, 1)), size=0)
