"""Vendors answering OpenAI's shape under their own field names (Voyage, Jina).

Request {model, input: [..], <role field>, <dtype field>, <dimension field>?}; response
{data: [{index, embedding}], usage}. One `InputShapedApi` per vendor names its fields.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from embedgate.embedders.base import Role
from embedgate.embedders.vendors import indexed_rows, merged, tokens_at, v1_path
from embedgate.embedders.vendors.quantized import decode
from embedgate.suite import OpenAICompatibleSpec


@dataclass(frozen=True)
class InputShapedApi:
    role_field: str
    roles: dict[Role, str]
    dtype_field: str
    dim_field: str

    @property
    def OWNED(self) -> frozenset[str]:  # noqa: N802 - the VendorApi attribute name
        return frozenset({"model", "input", "encoding_format", self.dtype_field,
                          self.dim_field})

    def path(self, base_url: str) -> str:
        return v1_path(base_url, "embeddings")

    def payload(self, spec: OpenAICompatibleSpec, texts: list[str],
                role: Role) -> dict[str, Any]:
        owned: dict[str, Any] = {"model": spec.model, "input": texts,
                                 self.dtype_field: spec.output_dtype}
        if spec.dimensions is not None:
            owned[self.dim_field] = spec.dimensions
        return merged(spec, role, {self.role_field: self.roles[role]}, owned)

    def vectors(self, body: Any, n: int, dtype: str) -> np.ndarray:
        return decode(indexed_rows(body["data"], n), dtype)

    def usage(self, body: Any) -> int | None:
        return tokens_at(body, "usage", "total_tokens")
