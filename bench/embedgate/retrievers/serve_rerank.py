"""Serve a local cross-encoder through the common rerank API (``POST /v1/rerank``).

`embedgate serve-rerank` puts a reranker (a CrossEncoder directory, or a recipe's trained
`cross_encoder` stage) behind the HTTP shape hosted rerankers use (also at ``/v2/rerank``,
where Cohere's SDK sends it), so `kind: rerank` with an
`endpoint:` can be judged against the same model run locally; the tests use it as a real
loopback server. Request: {model, query, documents: [str], top_n?, return_documents?};
answer: {model, results: [{index, relevance_score}]} sorted by score, best first (top_n of
them). Everything else (auth, fault hooks, error shape) is the embeddings server's.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import numpy as np

from embedgate.embedders.serve import ApiError, OpenAIEmbeddingsServer, serve_until_interrupted
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.http_client import read_api_key
from embedgate.retrievers.scorers import local_scorer
from embedgate.suite import RerankSpec

ScorePairs = Callable[[str, Sequence[str]], np.ndarray]


class RerankServer(OpenAIEmbeddingsServer):
    """A threaded loopback server answering `/v1/rerank` from `score(query, documents)`."""

    def __init__(self, score: ScorePairs, model_name: str, *, host: str = "127.0.0.1",
                 port: int = 0, api_key: str | None = None, max_documents: int = 1000) -> None:
        super().__init__(self._no_embeddings, 0, model_name, host=host, port=port,
                         api_key=api_key)
        self.score = score
        self.max_documents = max_documents
        self._score_lock = threading.Lock()

    @staticmethod
    def _no_embeddings(texts: Sequence[str], role: str) -> np.ndarray:
        raise ApiError(HTTPStatus.NOT_FOUND, "this server reranks; it serves no embeddings")

    def route(self, path: str) -> Callable[[Any], dict[str, Any]] | None:
        # /v2/rerank: Cohere's current path (its SDK's ClientV2), the same request shape.
        return self.rerank if path in ("/v1/rerank", "/v2/rerank", "/rerank") else None

    def rerank(self, body: Any) -> dict[str, Any]:
        query, documents, top_n = self._request(body)
        with self._score_lock:  # one model, one CPU budget
            scores = np.asarray(self.score(query, documents), dtype=np.float64)
        order = sorted(range(len(documents)), key=lambda i: (-scores[i], i))[:top_n]
        return {"model": self.model_name,
                "results": [{"index": i, "relevance_score": float(scores[i])} for i in order]}

    def _request(self, body: Any) -> tuple[str, list[str], int]:
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "request body must be a JSON object")
        if body.get("model") != self.model_name:
            raise ApiError(HTTPStatus.NOT_FOUND, f"model {body.get('model')!r} does not exist; "
                           f"this server serves {self.model_name!r}", "model_not_found")
        query, documents = body.get("query"), body.get("documents")
        if not isinstance(query, str) or not isinstance(documents, list) or not all(
                isinstance(d, str) for d in documents):
            raise ApiError(HTTPStatus.BAD_REQUEST, "query must be a string and documents a "
                           "list of strings")
        if len(documents) > self.max_documents:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"{len(documents)} documents in one request; "
                           f"the maximum is {self.max_documents}")
        top_n = body.get("top_n", len(documents))
        if not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 1:
            raise ApiError(HTTPStatus.BAD_REQUEST, "top_n must be a positive integer")
        return query, documents, min(top_n, len(documents))


def serve(ref: str, *, host: str = "127.0.0.1", port: int = 8000, model_name: str | None = None,
          api_key_env: str | None = None, max_length: int = 256) -> None:
    """Serve a CrossEncoder directory (or a recipe YAML ending in cross_encoder) until Ctrl-C."""
    from pathlib import Path


    is_recipe = ref.endswith((".yaml", ".yml"))
    spec = RerankSpec.model_validate({"id": "served", "kind": "rerank", "first": "-",
                                      "max_length": max_length,
                                      ("recipe" if is_recipe else "model"): ref})
    scorer = local_scorer(spec, BuildEnv(where=f"serve-rerank {ref}", progress=True,
                                         base_dir=Path.cwd()))
    name = model_name or str(scorer.description["name"])
    server = RerankServer(scorer.score, name, host=host, port=port,
                          api_key=read_api_key(api_key_env))
    print(f"serving reranker {ref} as model \"{name}\" at {server.base_url}"
          f"{' (Bearer key required)' if api_key_env else ''}; Ctrl-C stops", flush=True)
    serve_until_interrupted(server)
