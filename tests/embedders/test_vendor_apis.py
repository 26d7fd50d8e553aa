"""Vendor-native APIs (Cohere, Voyage, Jina, TEI) against loopback fakes of their documented
shapes: the request each vendor receives, decoded vectors, error bodies and 429 handling."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from embedgate.embedders.base import l2_normalise
from embedgate.embedders.http import OpenAICompatibleEmbedder
from embedgate.embedders.vendors.quantized import from_binary
from embedgate.infra.errors import InfraError, InputError
from embedgate.suite import OpenAICompatibleSpec

from tests.fakes.servers.openai_embeddings import hashed_encoder
from tests.fakes.servers.vendor_embeddings import MODEL, VendorServer

DIM = 16
TEXTS = ["alpha beta", "gamma", "delta epsilon zeta", "eta"]
VENDORS = ["cohere", "voyage", "jina", "tei"]
# The request field that carries the role, and its value per role, as each vendor documents.
ROLE_FIELD = {"cohere": ("input_type", "search_query", "search_document"),
              "voyage": ("input_type", "query", "document"),
              "jina": ("task", "retrieval.query", "retrieval.passage")}


@pytest.fixture(params=VENDORS)
def server(request: pytest.FixtureRequest) -> Iterator[VendorServer]:
    with VendorServer(request.param, DIM) as srv:
        yield srv


def _embedder(server: VendorServer, **overrides: Any) -> OpenAICompatibleEmbedder:
    root = server.base_url.removesuffix("/v1")
    fields: dict[str, Any] = {"id": "v", "kind": "openai-compatible", "base_url": root,
                              "model": MODEL, "api": server.vendor, "max_inputs_per_request": 2,
                              "max_concurrency": 1, "timeout_s": 5, "backoff_s": 0.01,
                              "max_retries": 2}
    if server.vendor == "tei":  # TEI picks the role by the server's prompt names
        fields["role_body"] = {"query": {"prompt_name": "query"}}
    return OpenAICompatibleEmbedder(OpenAICompatibleSpec(**{**fields, **overrides}))


def _expected(texts: list[str], role: str, dim: int = DIM) -> np.ndarray:
    return l2_normalise(hashed_encoder(DIM)(texts, role)[:, :dim])


def test_float_vectors_and_the_request_each_vendor_received(server: VendorServer) -> None:
    emb = _embedder(server)
    queries = emb.encode(TEXTS, "query")
    passages = emb.encode(TEXTS, "passage")
    np.testing.assert_allclose(queries, _expected(TEXTS, "query"), atol=1e-6)
    np.testing.assert_allclose(passages, _expected(TEXTS, "passage"), atol=1e-6)
    paths = {path for path, _ in server.received}
    assert paths == {{"cohere": "/v2/embed", "tei": "/embed"}.get(server.vendor,
                                                                  "/v1/embeddings")}
    last_query, last_passage = server.received[2][1], server.received[-1][1]
    if server.vendor in ROLE_FIELD:
        field, q, p = ROLE_FIELD[server.vendor]
        assert (last_query[field], last_passage[field]) == (q, p)
        assert last_query["model"] == MODEL
    else:
        assert last_query["prompt_name"] == "query" and "prompt_name" not in last_passage
        assert last_query["truncate"] is True
    assert emb.info.dim == DIM and emb.info.extra["api"] == server.vendor
    # The fakes bill one token per word; TEI's /embed reports none.
    billed = None if server.vendor == "tei" else 2 * sum(len(t.split()) for t in TEXTS)
    assert emb.traffic["tokens_reported"] == billed
    assert emb.traffic["requests"] == 1 + 2 * 2  # the probe, then 2 requests of 2 per role


@pytest.mark.parametrize("vendor", ["cohere", "voyage"])
def test_int8_is_decoded_to_float_then_normalised(vendor: str) -> None:
    with VendorServer(vendor, DIM) as srv:
        emb = _embedder(srv, output_dtype="int8")
        got = emb.encode(TEXTS, "query")
        sent = srv.received[-1][1]
    assert sent.get("embedding_types", sent.get("output_dtype")) in (["int8"], "int8")
    raw = hashed_encoder(DIM)(TEXTS, "query")
    ints = np.round(raw * (127.0 / np.abs(raw).max(axis=1, keepdims=True)))
    np.testing.assert_allclose(got, l2_normalise(ints), atol=1e-6)
    # int8 loses little: every row still points where the float row does.
    assert (np.sum(got * _expected(TEXTS, "query"), axis=1) > 0.99).all()


@pytest.mark.parametrize("vendor", ["cohere", "voyage", "jina"])
def test_binary_is_unpacked_to_signs(vendor: str) -> None:
    with VendorServer(vendor, DIM) as srv:
        emb = _embedder(srv, output_dtype="binary")
        got = emb.encode(TEXTS[:2], "passage")
    signs = np.where(hashed_encoder(DIM)(TEXTS[:2], "passage") > 0, 1.0, -1.0)
    np.testing.assert_allclose(got, signs / np.sqrt(DIM), atol=1e-6)
    assert emb.info.dim == DIM  # 2 bytes on the wire, 16 dimensions decoded


def test_binary_decoding_matches_sentence_transformers_convention() -> None:
    # packbits(x > 0) - 128, most significant bit first (quantize_embeddings' "binary").
    x = np.array([[1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1]], np.float32)
    packed = (np.packbits(x > 0, axis=-1).astype(int) - 128).tolist()
    assert packed == [[129 - 128, -128]]
    np.testing.assert_array_equal(from_binary(packed), x)


def test_requested_dimension_uses_the_vendors_field(server: VendorServer) -> None:
    emb = _embedder(server, dimensions=8)
    got = emb.encode(TEXTS[:1], "passage")
    sent = server.received[-1][1]
    field = {"cohere": "output_dimension", "voyage": "output_dimension"}.get(server.vendor,
                                                                             "dimensions")
    assert sent[field] == 8 and got.shape == (1, 8)
    np.testing.assert_allclose(got, _expected(TEXTS[:1], "passage", 8), atol=1e-6)


def test_rate_limit_429_with_retry_after_is_retried(server: VendorServer) -> None:
    emb = _embedder(server)
    server.inject("429")
    got = emb.encode(TEXTS[:1], "passage")
    assert emb.client.stats.retries == 1
    np.testing.assert_allclose(got, _expected(TEXTS[:1], "passage"), atol=1e-6)


@pytest.mark.parametrize("fault", ["nan", "short", "bad-shape"])
def test_wrong_answers_are_infra_errors(server: VendorServer, fault: str) -> None:
    emb = _embedder(server)
    server.inject(fault)
    with pytest.raises(InfraError) as err:
        emb.encode(TEXTS[:2], "passage")
    if fault == "nan":
        assert "NaN" in str(err.value)
    else:
        assert f"malformed {server.vendor} embeddings response" in str(err.value)


def test_vendor_error_body_is_quoted_and_exit_2(server: VendorServer) -> None:
    # A field the vendor does not know: each fake rejects it with its documented error body.
    with pytest.raises(InputError) as err:
        _embedder(server, extra_body={"no_such_field": 1})
    text = str(err.value)
    assert "HTTP 4" in text and "no_such_field" in text
    key = {"cohere": '"message"', "tei": '"error_type"'}.get(server.vendor, '"detail"')
    assert key in text


def test_tei_long_input_needs_truncate() -> None:
    with VendorServer("tei", DIM) as srv:
        emb = _embedder(srv, extra_body={"truncate": False})
        with pytest.raises(InputError, match="HTTP 413"):
            emb.encode(["word " * 100], "passage")


def test_owned_fields_cannot_be_overridden() -> None:
    with VendorServer("cohere", DIM) as srv:
        with pytest.raises(InputError, match="embedding_types is set by embedgate"):
            _embedder(srv, extra_body={"embedding_types": ["int8"]})
        assert srv.received == []  # refused before any request


def test_dtype_the_vendor_does_not_serve_is_refused() -> None:
    with pytest.raises(ValidationError, match="api tei serves output_dtype float"):
        OpenAICompatibleSpec(id="t", kind="openai-compatible", base_url="http://127.0.0.1:1",
                             model="m", api="tei", output_dtype="int8")


@pytest.mark.parametrize("vendor", ["cohere", "voyage", "jina"])
def test_dtype_and_api_enter_the_identity(vendor: str) -> None:
    with VendorServer(vendor, DIM) as srv:
        floats, bits = _embedder(srv).info, _embedder(srv, output_dtype="binary").info
    assert floats.weights_sha256 != bits.weights_sha256  # binary vectors never share a cache entry
    assert (floats.extra["api"], bits.extra["output_dtype"]) == (vendor, "binary")


def test_openai_shaped_identity_is_unchanged() -> None:
    import hashlib

    from tests.fakes.servers.openai_embeddings import FaultyServer

    with FaultyServer(hashed_encoder(DIM), DIM, "hash-16") as srv:
        info = OpenAICompatibleEmbedder(OpenAICompatibleSpec(
            id="o", kind="openai-compatible", base_url=srv.base_url, model="hash-16")).info
        legacy = f"openai-compatible|{srv.base_url}|hash-16|None"  # caches written before `api:`
    assert info.weights_sha256 == hashlib.sha256(legacy.encode()).hexdigest()
