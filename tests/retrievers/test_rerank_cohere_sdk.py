"""Cohere's official SDK (`cohere.ClientV2.rerank`, default arguments) against
`embedgate serve-rerank`'s server on loopback: the real client library parses the answer."""
from __future__ import annotations

from collections.abc import Iterator

import cohere
import pytest

from embedgate.retrievers.serve_rerank import RerankServer

from tests.retrievers.test_rerank import overlap

DOCS = ["heart failure", "force majeure clause", "heart attack heart", "nothing here"]


@pytest.fixture
def server() -> Iterator[RerankServer]:
    with RerankServer(overlap, "overlap", api_key="s3cret") as srv:
        yield srv


def _client(server: RerankServer, key: str = "s3cret") -> cohere.ClientV2:
    return cohere.ClientV2(api_key=key, base_url=server.base_url.removesuffix("/v1"),
                           max_retries=0, timeout=10, log_warning_experimental_features=False)


def test_cohere_sdk_rerank_defaults(server: RerankServer) -> None:
    answer = _client(server).rerank(model="overlap", query="heart attack", documents=DOCS)
    ranked = [(r.index, r.relevance_score) for r in answer.results]
    expected = overlap("heart attack", DOCS)
    assert [i for i, _ in ranked] == sorted(range(4), key=lambda i: (-expected[i], i))
    assert [s for _, s in ranked] == sorted(expected.tolist(), reverse=True)


def test_cohere_sdk_top_n_and_errors(server: RerankServer) -> None:
    answer = _client(server).rerank(model="overlap", query="force", documents=DOCS, top_n=1)
    assert [r.index for r in answer.results] == [1]
    with pytest.raises(cohere.core.ApiError) as err:
        _client(server, key="wrong").rerank(model="overlap", query="q", documents=DOCS)
    assert err.value.status_code == 401
    with pytest.raises(cohere.core.ApiError) as err:
        _client(server).rerank(model="other", query="q", documents=DOCS)
    assert err.value.status_code == 404
