"""The official `openai` SDK, with its default arguments, against `embedgate serve-openai`.

The SDK asks for ``encoding_format="base64"`` unless told otherwise and decodes the bytes
itself; frameworks built on it do the same. These tests use the real client library on
loopback: a model-free encoder for the wire details, and a real packaged model (MiniLM) for
the path a user takes, tokens in ``usage`` included.
"""
from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator

import numpy as np
import openai
import pytest

from embedgate.embedders.base import l2_normalise
from embedgate.embedders.serve import OpenAIEmbeddingsServer

from tests.fakes.servers.openai_embeddings import hashed_encoder

DIM = 16
TEXTS = ["first text", "the second, longer text", "3"]


def _client(server: OpenAIEmbeddingsServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=10)


def _expected(texts: list[str]) -> np.ndarray:
    """What the server's encoder returns (served as is: the HTTP embedder normalises)."""
    return hashed_encoder(DIM)(texts, "passage")


@pytest.fixture
def server() -> Iterator[OpenAIEmbeddingsServer]:
    with OpenAIEmbeddingsServer(hashed_encoder(DIM), DIM, "hash-16",
                                count_tokens=lambda texts: 7 * len(texts)) as srv:
        yield srv


def test_sdk_defaults_get_base64_vectors(server: OpenAIEmbeddingsServer) -> None:
    answer = _client(server).embeddings.create(model="hash-16", input=TEXTS)
    got = np.asarray([d.embedding for d in answer.data], dtype=np.float32)
    np.testing.assert_array_equal(got, _expected(TEXTS))
    assert answer.usage.prompt_tokens == answer.usage.total_tokens == 21  # count_tokens


def test_base64_is_little_endian_float32_on_the_wire(server: OpenAIEmbeddingsServer) -> None:
    request = urllib.request.Request(
        server.base_url + "/embeddings", method="POST",
        data=json.dumps({"model": "hash-16", "input": "x", "encoding_format": "base64"}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        wire = json.loads(response.read())["data"][0]["embedding"]
    decoded = np.frombuffer(base64.b64decode(wire), dtype="<f4")
    np.testing.assert_array_equal(decoded, _expected(["x"])[0])


def test_sdk_float_and_equal_dimensions(server: OpenAIEmbeddingsServer) -> None:
    answer = _client(server).embeddings.create(model="hash-16", input="one",
                                               encoding_format="float", dimensions=DIM)
    np.testing.assert_array_equal(answer.data[0].embedding, _expected(["one"])[0])


def test_smaller_dimensions_without_matryoshka_is_a_clear_400(
        server: OpenAIEmbeddingsServer) -> None:
    with pytest.raises(openai.BadRequestError, match="needs a Matryoshka-trained model"):
        _client(server).embeddings.create(model="hash-16", input="one", dimensions=8)
    with pytest.raises(openai.BadRequestError, match="dimensions must be an integer from 1"):
        _client(server).embeddings.create(model="hash-16", input="one", dimensions=DIM + 1)


def test_matryoshka_dimensions_truncate_and_renormalise() -> None:
    with OpenAIEmbeddingsServer(hashed_encoder(DIM), DIM, "hash-16", matryoshka=True) as srv:
        answer = _client(srv).embeddings.create(model="hash-16", input=TEXTS, dimensions=4)
    got = np.asarray([d.embedding for d in answer.data], dtype=np.float32)
    np.testing.assert_allclose(got, l2_normalise(_expected(TEXTS)[:, :4]), atol=1e-6)
    assert answer.usage.prompt_tokens > 0  # the estimate when no tokenizer is given


def test_sdk_defaults_against_a_real_packaged_model() -> None:
    from embedgate.embedders.serve import served_token_counter
    from embedgate.embedders.st import SentenceTransformerEmbedder
    from embedgate.suite import SentenceTransformersSpec

    direct = SentenceTransformerEmbedder(SentenceTransformersSpec(
        id="minilm", kind="sentence-transformers", model="packaged:all-MiniLM-L6-v2",
        max_seq_length=128))
    texts = ["How do vaccines train the immune system?", "Mitochondria make ATP.", "ok"]
    with OpenAIEmbeddingsServer(direct.encode, direct.info.dim, "all-MiniLM-L6-v2",
                                count_tokens=served_token_counter(direct)) as srv:
        answer = _client(srv).embeddings.create(model="all-MiniLM-L6-v2", input=texts)
    got = np.asarray([d.embedding for d in answer.data], dtype=np.float32)
    assert got.shape == (3, 384)
    assert float(np.min(np.sum(got * direct.encode(texts, "passage"), axis=1))) >= 0.9999
    # Tokens by the model's own tokenizer ([CLS] ... [SEP]), not inputs or words.
    assert answer.usage.prompt_tokens == sum(direct.token_lengths(texts))
    assert answer.usage.prompt_tokens > sum(len(t.split()) for t in texts) > len(texts)
