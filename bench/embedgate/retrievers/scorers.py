"""Cross-encoder scorers for `kind: rerank`: a local CrossEncoder, or a `/v1/rerank` server."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.hashing import weights_sha256
from embedgate.suite import RerankEndpointSpec, RerankSpec
from embedgate.embedders.st import check_model_dir, model_path
from embedgate.recipes.recipe import load_recipe


class LocalScorer:
    """sentence-transformers' CrossEncoder on CPU; raw relevance logits (sigmoid is monotone)."""

    def __init__(self, path: Path, max_length: int, batch_size: int,
                 description: dict[str, Any]) -> None:
        from sentence_transformers.cross_encoder import CrossEncoder

        try:
            with contextlib.redirect_stdout(sys.stderr):
                self.model = CrossEncoder(str(path), max_length=max_length, device="cpu")
        except Exception as exc:  # a broken artifact is an infrastructure failure, not a bug
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise InfraError(f"cross-encoder {path} failed to load: {type(exc).__name__}: "
                             f"{first}") from None
        self.batch_size = batch_size
        self.description = description

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        out = self.model.predict([(query, p) for p in passages], batch_size=self.batch_size,
                                 show_progress_bar=False, activation_fn=None)
        return np.asarray(out, dtype=np.float32).reshape(-1)

    def score_many(self, queries: Sequence[str],
                   passages: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """All pairs in one predict call (good batches), split back per query."""
        pairs = [(q, p) for q, ps in zip(queries, passages) for p in ps]
        if not pairs:
            return [np.zeros(0, dtype=np.float32) for _ in queries]
        flat = np.asarray(self.model.predict(pairs, batch_size=self.batch_size,
                                             show_progress_bar=False, activation_fn=None),
                          dtype=np.float32).reshape(-1)
        cuts = np.cumsum([len(ps) for ps in passages])[:-1]
        return list(np.split(flat, cuts))


def local_scorer(spec: RerankSpec, env: BuildEnv) -> LocalScorer:
    """The recipe's trained cross-encoder, or a CrossEncoder model directory."""
    if spec.recipe is not None:
        path, description = _recipe_model(spec, env)
    else:
        assert spec.model is not None  # the spec requires one of recipe / model / endpoint
        path = model_path(spec.model, env)
        check_model_dir(path, env.where)
        description = {"name": spec.model, "backend": "sentence-transformers CrossEncoder"}
    description = {**description, "weights_sha256": weights_sha256(path),
                   "max_length": spec.max_length}
    return LocalScorer(path, spec.max_length, spec.batch_size, description)


def _recipe_model(spec: RerankSpec, env: BuildEnv) -> tuple[Path, dict[str, Any]]:
    assert spec.recipe is not None
    try:
        loaded = load_recipe(env.resolve(spec.recipe))
    except InputError as exc:
        raise InputError(f'{exc} (recipe of rerank "{spec.id}" at {env.where})') from None
    if not loaded.recipe.is_reranker:
        raise InputError(f"{env.where}: recipe {loaded.path} does not end in a cross_encoder "
                         "stage, so it trains an embedder, not a reranker; use it with "
                         "kind: recipe, or add a cross_encoder stage")
    from embedgate.recipes.train import ensure_trained  # imports torch: only when training

    trained = ensure_trained(loaded, None, env.progress, env.where)
    return trained.path, {
        "name": f"{loaded.recipe.name}@{trained.stage}", "backend": "sentence-transformers "
        "CrossEncoder", "recipe": {"file": str(loaded.path), "sha256": loaded.sha256,
                                   "base": loaded.recipe.base, "cache_key": trained.key,
                                   "trained_this_run": trained.trained,
                                   "data": trained.data.stats, "stages": trained.records}}


class EndpointScorer:
    """`POST {base_url}/v1/rerank` per query, requests in parallel up to max_concurrency."""

    def __init__(self, spec: RerankEndpointSpec, where: str = "") -> None:
        self.client = spec.client(user_agent="embedgate-rerank/1", where=where)
        self.model = spec.model
        self.path = "rerank" if spec.base_url.rstrip("/").endswith("/v1") else "v1/rerank"
        self.description = {"name": spec.model, "backend": "http /v1/rerank",
                            "base_url": self.client.redact(spec.base_url)}

    def _payload(self, query: str, passages: Sequence[str]) -> dict[str, Any]:
        return {"model": self.model, "query": query, "documents": list(passages),
                "top_n": len(passages), "return_documents": False}

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        return self.score_many([query], [passages])[0]

    def score_many(self, queries: Sequence[str],
                   passages: Sequence[Sequence[str]]) -> list[np.ndarray]:
        todo = [i for i, ps in enumerate(passages) if ps]
        bodies = self.client.map_post(self.path, [self._payload(queries[i], passages[i])
                                                  for i in todo])
        out = [np.zeros(0, dtype=np.float32) for _ in queries]
        for i, body in zip(todo, bodies):
            what = f"{self.client.where}: " * bool(self.client.where) + \
                self.client.redact(self.client.url(self.path))
            out[i] = _scores(body, len(passages[i]), what)
        return out


def _scores(body: Any, n: int, url: str) -> np.ndarray:
    """relevance_score by index; every index 0..n-1 exactly once, else an InfraError (an
    endpoint answering garbage is the environment failing, exit 4, as for embeddings)."""
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or len(results) != n:
        raise InfraError(f"{url}: the rerank response must hold {n} results "
                         "({'results': [{'index', 'relevance_score'}]}); check the endpoint "
                         "speaks /v1/rerank")
    out = np.full(n, np.nan, dtype=np.float32)
    for item in results:
        index = item.get("index") if isinstance(item, dict) else None
        score = item.get("relevance_score") if isinstance(item, dict) else None
        if not isinstance(index, int) or not 0 <= index < n or not np.isnan(out[index]) \
                or not isinstance(score, int | float) or isinstance(score, bool):
            raise InfraError(f"{url}: a rerank result has a bad or repeated index or a "
                             f"non-numeric relevance_score: {str(item)[:80]}")
        out[index] = float(score)
    return out


def endpoint_scorer(spec: RerankSpec, where: str = "") -> EndpointScorer:
    assert spec.endpoint is not None
    return EndpointScorer(spec.endpoint, f'{where}: rerank "{spec.id}"' if where else "")
