"""Hugging Face text-embeddings-inference's native ``POST /embed``.

Request: {inputs: [..], truncate, normalize, prompt_name?, dimensions?}. Response: a bare list
of float lists, in input order. Errors: {"error": "..", "error_type": validation | tokenizer |
backend | overloaded | unhealthy}; 429 (overloaded) when its queue is full, 413 for a batch
over its limits. `base_url` is the server root.

TEI refuses over-long inputs unless asked to truncate; embedgate's local embedders truncate at
the model's max_seq_length, so `truncate: true` is the default here (`extra_body` may say
false). `prompt_name` picks a prompt of the model's sentence-transformers config per role:
``role_body: {query: {prompt_name: query}}``. The model is whatever the server loaded; `model`
only names it in results.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from embedgate.embedders.base import Role
from embedgate.embedders.vendors import merged, row_count
from embedgate.suite import OpenAICompatibleSpec

OWNED = frozenset({"inputs", "dimensions"})


def path(base_url: str) -> str:
    return "embed"


def payload(spec: OpenAICompatibleSpec, texts: list[str], role: Role) -> dict[str, Any]:
    owned: dict[str, Any] = {"inputs": texts}
    if spec.dimensions is not None:
        owned["dimensions"] = spec.dimensions
    return merged(spec, role, {"truncate": True, "normalize": True}, owned)


def vectors(body: Any, n: int, dtype: str) -> np.ndarray:
    return np.asarray(row_count(body, n), dtype=np.float32)


def usage(body: Any) -> int | None:
    return None  # /embed answers vectors only
