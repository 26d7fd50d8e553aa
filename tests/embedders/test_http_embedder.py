"""openai-compatible embedder against a real loopback server (model-free encoder: fast)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from embedgate.suite import OpenAICompatibleSpec
from embedgate.embedders.base import l2_normalise
from embedgate.embedders.http import (
    OpenAICompatibleEmbedder, endpoint_path, estimate_tokens, plan_requests, plan_texts,
)
from embedgate.infra.errors import InfraError, InputError

from tests.fakes.servers.openai_embeddings import Fault, FaultyServer, hashed_encoder

DIM = 16
TEXTS = [f"text number {i}" for i in range(10)]


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    with FaultyServer(hashed_encoder(DIM), DIM, "hash-16") as srv:
        yield srv


def _spec(server: FaultyServer, **overrides: Any) -> OpenAICompatibleSpec:
    fields: dict[str, Any] = {"id": "remote", "kind": "openai-compatible",
                              "base_url": server.base_url, "model": "hash-16",
                              "max_inputs_per_request": 3, "max_concurrency": 2,
                              "timeout_s": 5, "backoff_s": 0.01, "max_retries": 3}
    return OpenAICompatibleSpec(**{**fields, **overrides})


def test_estimate_tokens_by_hand() -> None:
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcd e") == 2  # 6 ASCII chars → ceil(6/4)
    assert estimate_tokens("心肌缺血") == 4  # one per non-ASCII character
    assert estimate_tokens("ab 心肌") == 3  # ceil(3/4) + 2
    assert estimate_tokens("") == 1


def test_plan_requests_respects_both_limits() -> None:
    assert plan_requests([1] * 7, max_inputs=3, max_tokens=100) == [range(0, 3), range(3, 6),
                                                                    range(6, 7)]
    assert plan_requests([4, 4, 4, 1], max_inputs=10, max_tokens=8) == [range(0, 2), range(2, 4)]
    assert plan_requests([20, 1], max_inputs=10, max_tokens=8) == [range(0, 1), range(1, 2)]
    assert plan_requests([], max_inputs=3, max_tokens=8) == []


def test_plan_texts_prefixes_by_role(server: FaultyServer) -> None:
    spec = _spec(server, query_prefix="q: ", passage_prefix="p: ")
    assert plan_texts(spec, ["a"], "query").texts == ["q: a"]
    assert plan_texts(spec, ["a"], "passage").texts == ["p: a"]


def test_endpoint_path() -> None:
    assert endpoint_path("https://api.example.com/v1") == "embeddings"
    assert endpoint_path("https://api.example.com/v1/") == "embeddings"
    assert endpoint_path("http://127.0.0.1:8000") == "v1/embeddings"


def test_encodes_in_order_batched_and_normalised(server: FaultyServer) -> None:
    embedder = OpenAICompatibleEmbedder(_spec(server))
    assert embedder.info.dim == DIM and embedder.info.backend == "http"
    vectors = embedder.encode(TEXTS, "passage")
    expected = l2_normalise(hashed_encoder(DIM)(TEXTS, "passage"))
    assert vectors.dtype == np.float32 and vectors.shape == (10, DIM)
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert server.batch_sizes[0] == 1  # the probe
    assert sorted(server.batch_sizes[1:]) == [1, 3, 3, 3]  # ≤ max_inputs_per_request each


def test_role_body_selects_server_role(server: FaultyServer) -> None:
    spec = _spec(server, role_body={"query": {"input_type": "query"}})
    embedder = OpenAICompatibleEmbedder(spec)
    q = embedder.encode(["same text"], "query")
    p = embedder.encode(["same text"], "passage")
    np.testing.assert_allclose(q, l2_normalise(hashed_encoder(DIM)(["same text"], "query")),
                               atol=1e-6)
    assert float((q @ p.T)[0, 0]) < 0.99  # the server really embedded them as different roles


def test_wrong_dimension_mid_run_is_clear_error(server: FaultyServer) -> None:
    embedder = OpenAICompatibleEmbedder(_spec(server, max_concurrency=1))
    server.inject(Fault("wrong-dim"))
    with pytest.raises(InfraError, match=r"returned 17-dimensional vectors, expected 16"):
        embedder.encode(TEXTS, "passage")


def test_dimensions_mismatch_fails_at_build(server: FaultyServer) -> None:
    with pytest.raises(InputError, match="HTTP 400.*serves 16 dimensions; dimensions=8 needs a Matryoshka"):
        OpenAICompatibleEmbedder(_spec(server, dimensions=8))


def test_malformed_json_fails_cleanly(server: FaultyServer) -> None:
    embedder = OpenAICompatibleEmbedder(_spec(server))
    server.inject(Fault("malformed"))
    with pytest.raises(InfraError, match="malformed JSON"):
        embedder.encode(TEXTS[:2], "passage")


def test_transient_faults_are_survived(server: FaultyServer) -> None:
    embedder = OpenAICompatibleEmbedder(_spec(server, max_concurrency=1, timeout_s=0.4))
    server.inject(Fault("429", seconds=0.05), Fault("500"), Fault("slow", seconds=1.0))
    vectors = embedder.encode(TEXTS[:3], "passage")
    np.testing.assert_allclose(vectors, l2_normalise(hashed_encoder(DIM)(TEXTS[:3], "passage")),
                               atol=1e-6)
    assert embedder.client.stats.retries == 3 and server.pending_faults() == 0


def test_persistent_500_exhausts_retries(server: FaultyServer) -> None:
    embedder = OpenAICompatibleEmbedder(_spec(server, max_retries=2))
    server.inject(*[Fault("500")] * 3)
    with pytest.raises(InfraError, match="gave up after 3 attempts"):
        embedder.encode(TEXTS[:1], "query")


def test_request_budget_stops_the_run(server: FaultyServer) -> None:
    embedder = OpenAICompatibleEmbedder(_spec(server, request_budget=3, max_concurrency=1))
    with pytest.raises(InfraError, match="request budget of 3"):
        embedder.encode(TEXTS, "passage")  # probe + 4 requests > 3
    assert server.requests_served == 3


def test_unknown_model_is_input_error(server: FaultyServer) -> None:
    with pytest.raises(InputError, match="HTTP 404.*does not exist"):
        OpenAICompatibleEmbedder(_spec(server, model="nope"))


@pytest.mark.parametrize("bad, message", [
    ({"api_key_env": "sk-abc123"}, "String should match pattern"),
    ({"base_url": "ftp://x/v1"}, "String should match pattern"),
    ({"extra_body": {"input": ["x"]}}, "input is set by embedgate"),
    ({"role_body": {"query": {"model": "m"}}}, "model is set by embedgate"),
])
def test_spec_rejects_bad_settings(server: FaultyServer, bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _spec(server, **bad)
