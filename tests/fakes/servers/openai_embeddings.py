"""A loopback OpenAI embeddings server with switchable faults, owned by the tests.

It is the package's own `OpenAIEmbeddingsServer` (the one `embedgate serve-openai` runs) plus a
queue of faults: each queued fault answers exactly one upcoming request, in order, then normal
service resumes. Faults: a slow answer (to trip client timeouts), 429 with Retry-After, 500,
malformed JSON, vectors of the wrong dimension, a non-finite vector component (NaN, Infinity
or 1e999 written raw), and a redirect (any 30x status to any Location).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import numpy as np

from embedgate.embedders.serve import ApiError, EncodeTexts, OpenAIEmbeddingsServer


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour. kind: ok | slow | 429 | 500 | malformed | wrong-dim |
    non-finite | redirect.

    "ok" answers normally: it lets a script aim a fault at a later request.
    """

    kind: str
    seconds: float = 0.0  # slow: delay before answering normally; 429: Retry-After value
    retry_after: str | None = None  # 429: raw header (e.g. an HTTP date); overrides seconds
    location: str = ""  # redirect: the Location header; non-finite: the raw number
    status: int = 302  # redirect: 301, 302, 303, 307 or 308


class FaultyServer(OpenAIEmbeddingsServer):
    """`OpenAIEmbeddingsServer` whose next requests can be made to fail on purpose."""

    def __init__(self, encode: EncodeTexts, dim: int, model_name: str, **kwargs: Any) -> None:
        super().__init__(encode, dim, model_name, **kwargs)
        self._faults: deque[Fault] = deque()
        self._fault_lock = threading.Lock()
        self.batch_sizes: list[int] = []  # inputs per successful embeddings request
        self.auth_headers: list[str | None] = []

    def inject(self, *faults: Fault) -> None:
        with self._fault_lock:
            self._faults.extend(faults)

    def pending_faults(self) -> int:
        with self._fault_lock:
            return len(self._faults)

    def embeddings(self, body: Any) -> dict[str, Any]:
        answer = super().embeddings(body)
        with self._fault_lock:
            self.batch_sizes.append(len(answer["data"]))
        return answer

    def intercept(self, handler: Any) -> bool:
        with self._fault_lock:
            self.auth_headers.append(handler.headers.get("Authorization"))
            fault = self._faults.popleft() if self._faults else None
        if fault is None or fault.kind == "ok":
            return False
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return False  # then answer normally (the client has usually given up by now)
        body = handler.read_json() if handler.command == "POST" else {}
        if fault.kind == "429":
            header = fault.retry_after if fault.retry_after is not None else f"{fault.seconds:g}"
            handler.send_error_json(ApiError(HTTPStatus.TOO_MANY_REQUESTS, "rate limited",
                                             "rate_limit_exceeded"), {"Retry-After": header})
        elif fault.kind == "500":
            handler.send_error_json(ApiError(HTTPStatus.INTERNAL_SERVER_ERROR, "boom",
                                             "server_error"))
        elif fault.kind == "malformed":
            handler.send_bytes(HTTPStatus.OK, b'{"object": "list", "data": [')
        elif fault.kind == "wrong-dim":
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            handler.send_json(HTTPStatus.OK, self.response(
                np.ones((len(texts), self.dim + 1), dtype=np.float32), prompt_tokens=0))
        elif fault.kind == "non-finite":
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            vector = ", ".join([fault.location or "NaN"] + ["0.5"] * (self.dim - 1))
            rows = ",".join(f'{{"object": "embedding", "index": {i}, "embedding": [{vector}]}}'
                            for i in range(len(texts)))
            handler.send_bytes(HTTPStatus.OK, f'{{"object":"list","data":[{rows}]}}'.encode())
        elif fault.kind == "redirect":
            handler.send_bytes(fault.status, b"", {"Location": fault.location})
        else:
            raise ValueError(f"unknown fault {fault.kind}")
        return True


def hashed_encoder(dim: int = 16) -> EncodeTexts:
    """A deterministic model-free encoder for client plumbing tests (not for quality)."""
    import hashlib

    def encode(texts: Sequence[str], role: str = "passage") -> np.ndarray:
        rows = [np.frombuffer(hashlib.sha256(f"{role}|{t}".encode()).digest()[:dim], dtype=np.uint8)
                for t in texts]
        return np.asarray(rows, dtype=np.float32) - 127.5

    return encode
