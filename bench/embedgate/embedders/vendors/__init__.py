"""Vendor-native embedding APIs behind the `openai-compatible` embedder (suite key `api:`).

Each vendor module builds one request body and reads one response body; the transport
(retries honouring Retry-After, request budget, concurrency, the key from the environment) is
the shared `infra.http_client.JsonHttpClient`, and the checks every vector passes (count,
dimension, finite values, unit length) stay in `embedders.http`. A module satisfies
`VendorApi` (as module functions, or as an `API` object for vendors sharing a shape):

- ``path(base_url)``: where to POST, relative to `base_url`;
- ``payload(spec, texts, role)``: the request body (vendor role fields first, then the suite's
  `extra_body` / `role_body`, then the fields embedgate owns: model, texts, dtype, dimensions);
- ``OWNED``: those owned field names, which `extra_body` / `role_body` may not set;
- ``vectors(body, n, dtype)``: the rows in input order as float32, quantised outputs decoded
  (`vendors.quantized`); a wrong shape raises ValueError / KeyError / TypeError;
- ``usage(body)``: the input tokens the vendor says it counted (and bills), None if not said.
"""
from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Protocol, cast

import numpy as np

from embedgate.embedders.base import Role
from embedgate.suite import OpenAICompatibleSpec


class VendorApi(Protocol):
    OWNED: frozenset[str]

    def path(self, base_url: str) -> str: ...

    def payload(self, spec: OpenAICompatibleSpec, texts: list[str],
                role: Role) -> dict[str, Any]: ...

    def vectors(self, body: Any, n: int, dtype: str) -> np.ndarray: ...

    def usage(self, body: Any) -> int | None: ...


def vendor_api(api: str) -> VendorApi:
    """The module speaking `api` (one of the suite's `api:` values)."""
    module: ModuleType = importlib.import_module(f"embedgate.embedders.vendors.{api}_api")
    return cast(VendorApi, getattr(module, "API", module))


def merged(spec: OpenAICompatibleSpec, role: Role, defaults: dict[str, Any],
           owned: dict[str, Any]) -> dict[str, Any]:
    """Vendor role defaults < suite extra_body < suite role_body < fields embedgate owns."""
    return {**defaults, **spec.extra_body, **spec.role_body.get(role, {}), **owned}


def v1_path(base_url: str, rest: str) -> str:
    """``rest`` under /v1: base_url may be the server root or already end in /v1."""
    return rest if base_url.rstrip("/").endswith("/v1") else f"v1/{rest}"


def indexed_rows(data: Any, n: int) -> list[Any]:
    """The `embedding` of OpenAI-shaped ``data: [{index, embedding}]`` items, in index order."""
    if not isinstance(data, list) or len(data) != n:
        got = len(data) if isinstance(data, list) else "no"
        raise ValueError(f"expected {n} embeddings in the response, got {got}")
    rows = sorted(data, key=lambda d: d["index"])
    if [d["index"] for d in rows] != list(range(n)):
        raise ValueError("indices are not 0..n-1")
    return [d["embedding"] for d in rows]


def tokens_at(body: Any, *path: str) -> int | None:
    """The integer at `path` in a response body, or None when the vendor did not send one."""
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body if isinstance(body, int) and not isinstance(body, bool) and body >= 0 else None


def row_count(rows: Sequence[Any], n: int) -> Sequence[Any]:
    if not isinstance(rows, list) or len(rows) != n:
        got = len(rows) if isinstance(rows, list) else "no"
        raise ValueError(f"expected {n} embeddings in the response, got {got}")
    return rows
