"""A loopback Qdrant server: Qdrant's REST API in front of the Qdrant engine in-process.

No Qdrant server can be installed here (it ships as a Rust binary or a container image; the
package index reachable here holds only clients and qdrant-edge-py), so `kind: qdrant` with a
`url:` is exercised against this: the real client (qdrant-client, over HTTP), Qdrant's
documented request and response shapes (`qdrant_rest`), and the real engine behind them
(HNSW, quantization, filters). `embedgate serve-qdrant` runs it for trying a suite's server
mode by hand; the tests start it themselves.

With `grpc_port` it also answers Qdrant's gRPC API on that port (`qdrant_grpc`: the same
collections, as a server's 6333 and 6334), for `kind: qdrant` with `grpc_port:`.

Authentication as a Qdrant server: the `api-key` header, or `Authorization: Bearer <key>`.
Every request is logged as (method, path) in `requests` (a gRPC call as the REST route it
mirrors, and its name in `grpc_calls`), so tests can prove that a `load: existing` system
never writes and which transport a client used. Standard library HTTP (grpcio for gRPC);
loopback and trusted networks only.
"""
from __future__ import annotations

import hmac
import json
import logging
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from embedgate.embedders.serve import serve_until_interrupted
from embedgate.infra.loopback import BackgroundServer
from embedgate.retrievers import qdrant_grpc
from embedgate.retrievers import qdrant_rest as rest
from embedgate.retrievers.qdrant_rest import Collection, RestError

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024 * 1024  # a batch of 2,048 1,024-d vectors as JSON is ~40 MB
VERSION = "1.16.0"  # the server API version this subset follows (Qdrant's OpenAPI, 1.16)
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(f"^{pattern}$"), name) for method, pattern, name in (
        ("GET", r"/?", "root"), ("GET", r"/collections", "list"),
        ("GET", r"/collections/(?P<c>[^/]+)", "get"),
        ("GET", r"/collections/(?P<c>[^/]+)/exists", "exists"),
        ("PUT", r"/collections/(?P<c>[^/]+)", "create"),
        ("DELETE", r"/collections/(?P<c>[^/]+)", "delete"),
        ("PUT", r"/collections/(?P<c>[^/]+)/points", "upsert"),
        ("POST", r"/collections/(?P<c>[^/]+)/points/query", "query"))]


class QdrantServer(BackgroundServer):
    """Collections in a temporary folder (removed at stop), served over HTTP."""

    thread_name = "qdrant-rest-server"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None,
                 prefix: str = "", grpc_port: int | None = None) -> None:
        super().__init__((host, port), _Handler)
        self.host = host
        self.grpc_port = grpc_port  # None: REST only; 0: a free port, known after start()
        self._grpc: Any = None
        self.api_key = api_key
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""  # behind a proxy
        self.folder = Path(tempfile.mkdtemp(prefix="embedgate-qdrant-server-"))
        self.collections: dict[str, Collection] = {}
        self.requests: list[tuple[str, str]] = []
        self.grpc_calls: list[str] = []
        self._lock = threading.Lock()  # the collection table and the request log

    @property
    def url(self) -> str:
        return self.origin + self.prefix

    def start(self) -> QdrantServer:
        try:
            self.start_grpc()
        except BaseException:  # a taken gRPC port: close the socket, remove the folder
            self.stop()
            raise
        return super().start()

    def start_grpc(self) -> None:
        """Answer gRPC on `grpc_port` (when given) beside REST; its own threads."""
        if self.grpc_port is not None and self._grpc is None:
            self._grpc, self.grpc_port = qdrant_grpc.start(self, self.host, self.grpc_port)

    def stop(self) -> None:
        """Stop serving, close every collection and remove the folder it made."""
        if self._grpc is not None:
            self._grpc.stop(grace=None).wait(10)
            self._grpc = None
        super().stop()
        with self._lock:
            for col in self.collections.values():
                col.close()
            self.collections.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    def intercept(self, handler: _Handler, method: str, path: str) -> bool:
        """Called before each request is answered; True when answered here (tests inject
        faults by overriding it). The default does nothing."""
        return False

    def authorised(self, api_key: str | None, bearer: str | None) -> bool:
        if self.api_key is None:
            return True
        given = api_key if api_key is not None else (bearer or "").removeprefix("Bearer ")
        return hmac.compare_digest(given.encode(), self.api_key.encode())

    def log_request(self, method: str, path: str, rpc: str | None = None) -> None:
        with self._lock:
            self.requests.append((method, path))
            if rpc is not None:
                self.grpc_calls.append(rpc)

    def writes(self) -> list[tuple[str, str]]:
        """The logged requests that change something (everything but reads and queries)."""
        return [(m, p) for m, p in self.requests
                if m != "GET" and not p.rstrip("/").endswith("/points/query")]

    # -- the API ----------------------------------------------------------------------------
    def answer(self, method: str, path: str, body: Callable[[], Any]) -> Any:
        for m, pattern, name in _ROUTES:
            found = pattern.match(path) if m == method else None
            if found:
                return getattr(self, f"_{name}")(found.groupdict().get("c"), body)
        raise RestError(404, f"no route {method} {path}")

    def _root(self, _c: Any, _body: Any) -> dict[str, Any]:
        return {"title": "qdrant - vector search engine (embedgate loopback: qdrant-edge)",
                "version": VERSION}

    def _list(self, _c: Any, _body: Any) -> dict[str, Any]:
        with self._lock:
            return {"collections": [{"name": n} for n in sorted(self.collections)]}

    def _exists(self, c: str, _body: Any) -> dict[str, Any]:
        with self._lock:
            return {"exists": c in self.collections}

    def _get(self, c: str, _body: Any) -> dict[str, Any]:
        return rest.info(self._collection(c))

    def _create(self, c: str, body: Callable[[], Any]) -> bool:
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,255}", c):
            raise RestError(422, f"Validation error in path parameters: collection name {c!r}")
        with self._lock:
            if c in self.collections:
                raise RestError(409, f"Wrong input: Collection `{c}` already exists!")
            self.collections[c] = rest.create(c, self.folder / f"{c}-{time.time_ns()}", body())
        return True

    def _delete(self, c: str, _body: Any) -> bool:
        with self._lock:
            col = self.collections.pop(c, None)
        if col is not None:
            col.close()
        return col is not None

    def _upsert(self, c: str, body: Callable[[], Any]) -> dict[str, Any]:
        return rest.upsert(self._collection(c), body())

    def _query(self, c: str, body: Callable[[], Any]) -> dict[str, Any]:
        return rest.query(self._collection(c), body())

    def _collection(self, c: str) -> Collection:
        with self._lock:
            col = self.collections.get(c)
        if col is None:
            raise RestError(404, f"Not found: Collection `{c}` doesn't exist!")
        return col


class _Handler(BaseHTTPRequestHandler):
    server: QdrantServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see embedders/serve.py: keep-alive clients wait otherwise

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve("GET")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        start = time.perf_counter()
        path = urlsplit(self.path).path
        self.server.log_request(method, path)  # as it arrived
        if self.server.prefix and (path + "/").startswith(self.server.prefix + "/"):
            path = path[len(self.server.prefix):] or "/"  # as a reverse proxy strips it
        try:
            raw = self._read_body()
            if not self.server.authorised(self.headers.get("api-key"),
                                          self.headers.get("Authorization")):
                raise RestError(401, "Must provide an API key or an Authorization bearer token")
            if self.server.intercept(self, method, path):
                return
            result = self.server.answer(method, path, lambda: _json(raw))
            # GET / answers the version document itself, every other route in the envelope
            self.send_json(200, result if path.strip("/") == "" else
                           {"result": result, "status": "ok", "time": time.perf_counter() - start})
        except RestError as exc:
            self.send_json(exc.status, {"status": {"error": exc.message},
                                        "time": time.perf_counter() - start})
        except ConnectionError as exc:  # the client hung up
            log.debug("client went away: %s", exc)
        except Exception as exc:  # an engine failure answers 500, never drops the connection
            log.exception("qdrant request failed")
            self.send_json(500, {"status": {"error": f"Service internal error: "
                                            f"{type(exc).__name__}: {exc}"}, "time": 0.0})

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise RestError(413, "Payload too large")
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, document: Any) -> None:
        body = json.dumps(document).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RestError(400, "Format error in JSON body") from None


def serve(*, host: str = "127.0.0.1", port: int = 6333, api_key: str | None = None,
          grpc_port: int | None = None) -> None:
    """Serve until Ctrl-C (blocks); prints the URL (and gRPC port) for a suite's `url:`."""
    server = QdrantServer(host=host, port=port, api_key=api_key, grpc_port=grpc_port)
    try:
        server.start_grpc()
        grpc_note = f", gRPC on port {server.grpc_port}" if grpc_port is not None else ""
        print(f"serving Qdrant's REST API (the engine in-process) at {server.url}{grpc_note}"
              f"{' (api-key required)' if api_key else ''}; Ctrl-C stops", flush=True)
        serve_until_interrupted(server)
    finally:
        server.stop()  # closes the collections and removes their folder
