"""Loopback fakes of Cohere, Voyage, Jina and TEI embedding APIs, in their documented shapes.

Each fake checks the request the way the vendor documents it (path, allowed fields, enum
values) and answers in the vendor's own response shape, error body and rate-limit response
(429 + Retry-After). It records every request it received, so a test asserts what the client
sent (input_type, task, dtype, ...). Vectors come from the model-free `hashed_encoder` with the
role the request named, truncated to the requested dimension, quantised like the vendors do
(int8: per-row scale to ±127; binary: packed sign bits in offset binary, sentence-transformers'
`quantize_embeddings` convention).

Faults (queued, one per request): "429", "nan" (a NaN in the answer), "short" (one row
missing), "bad-shape" (the answer's top-level shape is wrong).
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import numpy as np

from embedgate.embedders.serve import OpenAIEmbeddingsServer

from tests.fakes.servers.openai_embeddings import hashed_encoder

MODEL = "fake-embed-v1"


class VendorError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


def quantise(rows: np.ndarray, dtype: str) -> list[list[Any]]:
    if dtype == "int8":
        scale = 127.0 / np.abs(rows).max(axis=1, keepdims=True)
        return np.round(rows * scale).astype(int).tolist()
    if dtype == "binary":
        return (np.packbits(rows > 0, axis=-1).astype(int) - 128).tolist()
    return rows.tolist()


def _strings(value: Any, field: str, error: Callable[[str], VendorError]) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
        raise error(f"invalid request: {field} must be a non-empty list of strings")
    return value


def _fields(body: Any, allowed: set[str], error: Callable[[str], VendorError]) -> None:
    if not isinstance(body, dict):
        raise error("invalid request: body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise error(f"invalid request: unknown field(s) {unknown}")


def _choice(value: Any, allowed: set[Any], field: str,
            error: Callable[[str], VendorError]) -> None:
    if value not in allowed:
        raise error(f"invalid request: {field} must be one of {sorted(map(str, allowed))}")


class VendorServer(OpenAIEmbeddingsServer):
    """One vendor's embeddings API on loopback; `received` holds (path, body) of each request."""

    def __init__(self, vendor: str, dim: int = 16, api_key: str | None = None) -> None:
        super().__init__(hashed_encoder(dim), dim, MODEL, api_key=api_key)
        self.vendor = vendor
        self.received: list[tuple[str, Any]] = []
        self.faults: deque[str] = deque()
        self._lock = threading.Lock()

    def inject(self, *faults: str) -> None:
        with self._lock:
            self.faults.extend(faults)

    def intercept(self, handler: Any) -> bool:
        body = handler.read_json()
        with self._lock:
            self.received.append((handler.path, body))
            fault = self.faults.popleft() if self.faults else None
        answer = ANSWERS[self.vendor]
        try:
            if fault == "429":
                raise RATE_LIMITED[self.vendor]
            handler.send_json(HTTPStatus.OK, self._faulty(answer(self, handler.path, body),
                                                           fault))
        except VendorError as exc:
            headers = {"Retry-After": "0"} if exc.status == 429 else None
            handler.send_json(exc.status, exc.body, headers)
        return True

    def _faulty(self, doc: Any, fault: str | None) -> Any:
        rows = _rows_of(doc)
        if fault == "nan":
            rows[0][0] = float("nan")
        elif fault == "short":
            (doc["data"] if isinstance(doc, dict) and "data" in doc else rows).pop()
        elif fault == "bad-shape":
            return {"unexpected": doc} if isinstance(doc, list) else [doc]
        return doc

    def vectors(self, texts: list[str], role: str, dim: int | None) -> np.ndarray:
        rows = np.asarray(self.encode_texts(texts, role), dtype=np.float32)  # type: ignore[arg-type]
        return rows[:, :dim] if dim else rows


def _rows_of(doc: Any) -> list[list[Any]]:
    if isinstance(doc, list):
        return doc
    if "embeddings" in doc:
        return next(iter(doc["embeddings"].values()))
    return [d["embedding"] for d in doc["data"]]


# -- Cohere /v2/embed ---------------------------------------------------------------------------
def _cohere_error(message: str) -> VendorError:
    return VendorError(400, {"message": message})


def cohere(server: VendorServer, path: str, body: Any) -> dict[str, Any]:
    if path != "/v2/embed":
        raise VendorError(404, {"message": f"route {path} not found"})
    _fields(body, {"model", "texts", "images", "inputs", "input_type", "embedding_types",
                   "output_dimension", "max_tokens", "truncate"}, _cohere_error)
    texts = _strings(body.get("texts"), "texts", _cohere_error)
    _choice(body.get("input_type"), {"search_document", "search_query", "classification",
                                     "clustering", "image"}, "input_type", _cohere_error)
    types = body.get("embedding_types", ["float"])
    for t in types:
        _choice(t, {"float", "int8", "uint8", "binary", "ubinary", "base64"},
                "embedding_types", _cohere_error)
    role = "query" if body["input_type"] == "search_query" else "passage"
    rows = server.vectors(texts, role, body.get("output_dimension"))
    return {"id": "fake", "embeddings": {t: quantise(rows, t) for t in types}, "texts": texts,
            "meta": {"api_version": {"version": "2"},
                     "billed_units": {"input_tokens": sum(len(t.split()) for t in texts)}},
            "response_type": "embeddings_by_type"}


# -- Voyage /v1/embeddings ----------------------------------------------------------------------
def _detail_error(message: str) -> VendorError:
    return VendorError(400, {"detail": message})


def _openai_shaped(rows: list[list[Any]], total_tokens: int) -> dict[str, Any]:
    return {"object": "list", "data": [{"object": "embedding", "embedding": r, "index": i}
                                       for i, r in enumerate(rows)],
            "model": MODEL, "usage": {"total_tokens": total_tokens}}


def voyage(server: VendorServer, path: str, body: Any) -> dict[str, Any]:
    if path != "/v1/embeddings":
        raise VendorError(404, {"detail": "Not Found"})
    _fields(body, {"input", "model", "input_type", "truncation", "output_dimension",
                   "output_dtype", "encoding_format"}, _detail_error)
    texts = _strings(body.get("input"), "input", _detail_error)
    _choice(body.get("input_type"), {None, "query", "document"}, "input_type", _detail_error)
    dtype = body.get("output_dtype", "float")
    _choice(dtype, {"float", "int8", "uint8", "binary", "ubinary"}, "output_dtype",
            _detail_error)
    _choice(body.get("output_dimension"), {None, 8, 16}, "output_dimension", _detail_error)
    role = "query" if body.get("input_type") == "query" else "passage"
    rows = server.vectors(texts, role, body.get("output_dimension"))
    return _openai_shaped(quantise(rows, dtype), sum(len(t.split()) for t in texts))


# -- Jina /v1/embeddings ------------------------------------------------------------------------
def jina(server: VendorServer, path: str, body: Any) -> dict[str, Any]:
    if path != "/v1/embeddings":
        raise VendorError(404, {"detail": "Not Found"})
    _fields(body, {"model", "input", "task", "dimensions", "embedding_type", "normalized",
                   "late_chunking", "truncate"}, _detail_error)
    texts = _strings(body.get("input"), "input", _detail_error)
    _choice(body.get("task"), {None, "retrieval.query", "retrieval.passage", "text-matching",
                               "classification", "separation"}, "task", _detail_error)
    dtype = body.get("embedding_type", "float")
    _choice(dtype, {"float", "base64", "binary", "ubinary"}, "embedding_type", _detail_error)
    role = "query" if body.get("task") == "retrieval.query" else "passage"
    rows = server.vectors(texts, role, body.get("dimensions"))
    doc = _openai_shaped(quantise(rows, dtype), sum(len(t.split()) for t in texts))
    doc["usage"]["prompt_tokens"] = doc["usage"]["total_tokens"]
    return doc


# -- TEI /embed ---------------------------------------------------------------------------------
def _tei_error(message: str) -> VendorError:
    return VendorError(422, {"error": message, "error_type": "validation"})


def tei(server: VendorServer, path: str, body: Any) -> list[list[float]]:
    if path != "/embed":
        raise VendorError(404, {"error": f"no route {path}", "error_type": "validation"})
    _fields(body, {"inputs", "truncate", "truncation_direction", "prompt_name", "normalize",
                   "dimensions"}, _tei_error)
    texts = _strings(body.get("inputs"), "inputs", _tei_error)
    _choice(body.get("prompt_name"), {None, "query", "passage"}, "prompt_name", _tei_error)
    if body.get("truncate") is not True and any(len(t) > 200 for t in texts):
        raise VendorError(413, {"error": "Input validation error: inputs must have less than "
                                         "512 tokens", "error_type": "validation"})
    role = "query" if body.get("prompt_name") == "query" else "passage"
    rows = server.vectors(texts, role, body.get("dimensions"))
    return [[float(x) for x in r] for r in rows]


ANSWERS: dict[str, Callable[[VendorServer, str, Any], Any]] = {
    "cohere": cohere, "voyage": voyage, "jina": jina, "tei": tei}
RATE_LIMITED: dict[str, VendorError] = {
    "cohere": VendorError(429, {"message": "You are using a Trial key, which is limited to "
                                           "100 API calls / minute."}),
    "voyage": VendorError(429, {"detail": "Rate limit exceeded"}),
    "jina": VendorError(429, {"detail": "Rate limit exceeded"}),
    "tei": VendorError(429, {"error": "Model is overloaded", "error_type": "overloaded"}),
}
