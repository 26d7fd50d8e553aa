"""`openai-compatible` embedder: any server speaking ``POST /v1/embeddings`` (OpenAI's API).

Hosted vendors and local servers (vLLM, TEI, infinity, `embedgate serve-openai`) answer the same
request shape; vendors with a shape of their own (Cohere, Voyage, Jina, TEI's /embed) are the
suite's `api:`, one request/response module each in `embedders/vendors/`. Texts are cut into requests that respect the provider's limits (inputs per
request, estimated tokens per request), sent with bounded concurrency through
`embedgate.http_client` (timeouts, retries with backoff honouring Retry-After, a request budget
per embedder per run), then checked (count, indices, dimension, finite values) and
re-normalised: vendors differ on whether they normalise, and the contract says unit rows.

The embedder sends one short probe request when built: it proves the URL, key and model work
before any tier runs and tells us the dimension. `plan_texts` is the pure planning step that
`embedgate run --dry-run` uses to count texts, tokens and requests without sending anything.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedgate.suite import OpenAICompatibleSpec
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.http_client import JsonHttpClient, is_loopback
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.base import EmbedderInfo, Role, l2_normalise
from embedgate.embedders.vendors import vendor_api

log = logging.getLogger(__name__)

PROBE_TEXT = "embedgate dimension probe"


def estimate_tokens(text: str) -> int:
    """A conservative token estimate without the vendor's tokenizer.

    BPE tokenizers spend roughly 4 ASCII characters per token on English, and about one token
    (sometimes two) per CJK or other non-ASCII character; counting each non-ASCII character as a
    token errs on the high side, which is the safe side for request limits and budgets.
    """
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return max(1, math.ceil(ascii_chars / 4) + (len(text) - ascii_chars))


def plan_requests(tokens: Sequence[int], max_inputs: int, max_tokens: int) -> list[range]:
    """Cut items, in order, into contiguous requests of ≤ max_inputs items and ≤ max_tokens.

    An item bigger than max_tokens alone still gets a request of its own (the server decides).

    >>> plan_requests([3, 3, 3, 9, 1], max_inputs=2, max_tokens=8)
    [range(0, 2), range(2, 3), range(3, 4), range(4, 5)]
    """
    requests: list[range] = []
    start, used = 0, 0
    for i, n in enumerate(tokens):
        if i > start and (i - start >= max_inputs or used + n > max_tokens):
            requests.append(range(start, i))
            start, used = i, 0
        used += n
    if start < len(tokens):
        requests.append(range(start, len(tokens)))
    return requests


@dataclass(frozen=True)
class TextPlan:
    """What one encode call will send: prefixed texts, their token estimates, the requests."""

    texts: list[str]
    tokens: list[int]
    requests: list[range]


def plan_texts(spec: OpenAICompatibleSpec, texts: Sequence[str], role: Role) -> TextPlan:
    """Prefix texts for `role` and cut them into requests within the spec's limits."""
    prefix = spec.query_prefix if role == "query" else spec.passage_prefix
    batch = [prefix + t for t in texts]
    tokens = [estimate_tokens(t) for t in batch]
    return TextPlan(batch, tokens, plan_requests(tokens, spec.max_inputs_per_request,
                                                 spec.max_tokens_per_request))


def endpoint_path(base_url: str) -> str:
    """Path to POST to: ``embeddings`` when base_url already ends in /v1, else ``v1/embeddings``."""
    return vendor_api("openai").path(base_url)


def _check_owned(spec: OpenAICompatibleSpec, owned: frozenset[str], where: str) -> None:
    """extra_body / role_body may not set the fields embedgate sets for this api."""
    bodies = [spec.extra_body, *spec.role_body.values()]
    clash = sorted(owned & {key for body in bodies for key in body})
    if clash:
        raise InputError(f"{where}: {', '.join(clash)} is set by embedgate for api "
                         f"{spec.api}; use the spec's own fields (model, dimensions, "
                         "output_dtype) instead")


def client_for(spec: OpenAICompatibleSpec, where: str = "") -> JsonHttpClient:
    """A JSON client with the spec's timeouts, retries, concurrency and request budget."""
    return spec.client(user_agent="embedgate-embeddings/1", where=where)


class OpenAICompatibleEmbedder:
    """Embeds through an OpenAI-compatible embeddings endpoint."""

    def __init__(self, spec: OpenAICompatibleSpec, env: BuildEnv | None = None) -> None:
        self.spec = spec
        self.where = (env or BuildEnv(where=spec.id)).where
        if spec.api_key_env and spec.base_url.startswith("http://") \
                and not is_loopback(spec.base_url):
            log.warning("%s: base_url is plain http:// to a remote host; the API key in "
                        "$%s travels unencrypted", self.where, spec.api_key_env)
        self.api = vendor_api(spec.api)
        _check_owned(spec, self.api.OWNED, self.where)
        try:
            self.client = client_for(spec, f'{self.where}: embedder "{spec.id}"')
        except InputError as exc:
            raise InputError(f'{self.where}: embedder "{spec.id}": {exc}') from None
        self.path = self.api.path(spec.base_url)
        self._tokens, self._usage_complete = 0, True  # vendor-reported, encode requests only
        probe = self._request([PROBE_TEXT], expected_dim=spec.dimensions)
        self.info = self._describe(probe)

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        plan = plan_texts(self.spec, texts, role)
        payloads = [self._payload([plan.texts[i] for i in r], role) for r in plan.requests]
        bodies = self.client.map_post(self.path, payloads)
        self._count_usage(bodies)
        parts = [self._vectors(body, len(r), self.info.dim)
                 for body, r in zip(bodies, plan.requests, strict=True)]
        return l2_normalise(np.concatenate(parts))

    @property
    def requests_sent(self) -> int:
        return self.client.stats.requests

    @property
    def traffic(self) -> dict[str, Any]:
        """results.json `embedders.<id>.http`: what this run sent, and the input tokens the
        vendor reported for the encode requests (None once an answer did not say, e.g. TEI)."""
        stats = self.client.stats
        return {"requests": stats.requests, "retries": stats.retries,
                "waited_s": round(stats.waited_s, 3),
                "tokens_reported": self._tokens if self._usage_complete else None}

    def _count_usage(self, bodies: list[Any]) -> None:
        for body in bodies:
            n = self.api.usage(body)
            if n is None:
                self._usage_complete = False
            else:
                self._tokens += n

    # -- one request ------------------------------------------------------------------------
    def _payload(self, texts: list[str], role: Role) -> dict[str, Any]:
        return self.api.payload(self.spec, texts, role)

    def _request(self, texts: list[str], expected_dim: int | None) -> np.ndarray:
        body = self.client.post_json(self.path, self._payload(texts, "passage"))
        return self._vectors(body, len(texts), expected_dim)

    def _vectors(self, body: Any, n: int, expected_dim: int | None) -> np.ndarray:
        """Rows of one response in input order, checked; InfraError names what is wrong."""
        what = (f'{self.client.where}: {self.client.redact(self.spec.base_url)} '
                f"model {self.spec.model}")
        try:
            vectors = self.api.vectors(body, n, self.spec.output_dtype)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InfraError(f"{what}: malformed {self.spec.api} embeddings response ({exc}); "
                             f"is this a{'n' if self.spec.api == 'openai' else ''} "
                             f"{self.spec.api} embeddings endpoint?") from None
        return self._check(vectors, n, expected_dim, what)

    def _check(self, vectors: np.ndarray, n: int, expected_dim: int | None,
               what: str) -> np.ndarray:
        if vectors.ndim != 2 or vectors.shape[0] != n or vectors.shape[1] == 0:
            raise InfraError(f"{what}: embeddings have ragged or empty rows {vectors.shape}")
        if expected_dim is not None and vectors.shape[1] != expected_dim:
            raise InfraError(f"{what}: server returned {vectors.shape[1]}-dimensional vectors, "
                             f"expected {expected_dim}; check `dimensions` and that the "
                             "server serves the same model for every request")
        if not np.isfinite(vectors).all():
            raise InfraError(f"{what}: server returned NaN or infinite values")
        return vectors

    def _describe(self, probe: np.ndarray) -> EmbedderInfo:
        base_url = self.client.redact(self.spec.base_url)
        identity = f"openai-compatible|{base_url}|{self.spec.model}|{self.spec.dimensions}"
        if self.spec.api != "openai":  # OpenAI-shaped identities stay as they were (caches)
            identity += f"|{self.spec.api}|{self.spec.output_dtype}"
        # Hosted weights cannot be hashed. The endpoint identity stands in for them, and the
        # probe vector (rounded) lets a reader notice a vendor silently swapping the model.
        probe_hash = hashlib.sha256(np.round(l2_normalise(probe), 3).tobytes()).hexdigest()
        return EmbedderInfo(
            id=self.spec.id, kind=self.spec.kind, name=self.spec.model, backend="http",
            precision="unknown", dim=int(probe.shape[1]), max_seq_length=None,
            weights_sha256=hashlib.sha256(identity.encode()).hexdigest(),
            pooling="server", normalize=True, query_prefix=self.spec.query_prefix,
            passage_prefix=self.spec.passage_prefix,
            extra={"base_url": base_url, "api_key_env": self.spec.api_key_env,
                   "api": self.spec.api, "output_dtype": self.spec.output_dtype,
                   "weights_sha256_is": "sha256 of endpoint identity (hosted weights unknown)",
                   "probe_sha256": probe_hash,
                   "max_inputs_per_request": self.spec.max_inputs_per_request,
                   "max_tokens_per_request": self.spec.max_tokens_per_request,
                   "max_concurrency": self.spec.max_concurrency,
                   "request_budget": self.spec.request_budget,
                   # Request fields that change the vectors keep cache entries apart.
                   "cache_salt": json.dumps([self.spec.extra_body, self.spec.role_body],
                                            sort_keys=True, ensure_ascii=False)})
