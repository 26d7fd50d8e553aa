"""OpenAI's ``POST /v1/embeddings`` (also vLLM, TEI's OpenAI route, infinity, serve-openai).

Request: {model, input: [..], encoding_format: "float", dimensions?}.
Response: {data: [{index, embedding: [floats]}], usage: {prompt_tokens, total_tokens}}.
Errors: {"error": {"message", "type", "code"}}; 429 with Retry-After when rate limited.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from embedgate.embedders.base import Role
from embedgate.embedders.vendors import indexed_rows, merged, tokens_at, v1_path
from embedgate.suite import OpenAICompatibleSpec

OWNED = frozenset({"model", "input", "encoding_format", "dimensions"})


def path(base_url: str) -> str:
    return v1_path(base_url, "embeddings")


def payload(spec: OpenAICompatibleSpec, texts: list[str], role: Role) -> dict[str, Any]:
    owned: dict[str, Any] = {"model": spec.model, "input": texts, "encoding_format": "float"}
    if spec.dimensions is not None:
        owned["dimensions"] = spec.dimensions
    return merged(spec, role, {}, owned)


def vectors(body: Any, n: int, dtype: str) -> np.ndarray:
    return np.asarray(indexed_rows(body["data"], n), dtype=np.float32)


def usage(body: Any) -> int | None:
    return tokens_at(body, "usage", "prompt_tokens")
