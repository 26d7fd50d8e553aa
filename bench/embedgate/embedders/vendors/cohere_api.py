"""Cohere's ``POST /v2/embed``.

Request: {model, texts: [..], input_type: search_query | search_document, embedding_types:
[float | int8 | binary], output_dimension?, truncate?}. Response: {id, embeddings: {float:
[[..]], int8: [[..]], binary: [[..]]}, texts, meta: {billed_units: {input_tokens}}}.
Errors: {"message": ".."} (4xx), 429 "too many requests" when rate limited.
`base_url` is the server root (https://api.cohere.com).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from embedgate.embedders.base import Role
from embedgate.embedders.vendors import merged, row_count, tokens_at
from embedgate.embedders.vendors.quantized import decode
from embedgate.suite import OpenAICompatibleSpec

OWNED = frozenset({"model", "texts", "embedding_types", "output_dimension"})
INPUT_TYPES: dict[Role, str] = {"query": "search_query", "passage": "search_document"}


def path(base_url: str) -> str:
    return "embed" if base_url.rstrip("/").endswith("/v2") else "v2/embed"


def payload(spec: OpenAICompatibleSpec, texts: list[str], role: Role) -> dict[str, Any]:
    owned: dict[str, Any] = {"model": spec.model, "texts": texts,
                             "embedding_types": [spec.output_dtype]}
    if spec.dimensions is not None:
        owned["output_dimension"] = spec.dimensions
    return merged(spec, role, {"input_type": INPUT_TYPES[role]}, owned)


def vectors(body: Any, n: int, dtype: str) -> np.ndarray:
    by_type = body["embeddings"]
    if not isinstance(by_type, dict) or dtype not in by_type:
        raise ValueError(f"no embeddings.{dtype} in the response (asked embedding_types "
                         f"[{dtype}])")
    return decode(row_count(by_type[dtype], n), dtype)


def usage(body: Any) -> int | None:
    return tokens_at(body, "meta", "billed_units", "input_tokens")
