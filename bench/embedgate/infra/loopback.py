"""The life cycle every loopback HTTP server of the project shares (the OpenAI-shaped
embeddings and rerank servers, the Qdrant REST server): serve in a daemon thread, stop, close,
and use as a context manager. Standard library only."""
from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Self

from embedgate.infra.errors import InputError


class BackgroundServer(ThreadingHTTPServer):
    """A threaded HTTP server that can serve in the background (`with server: ...`)."""

    daemon_threads = True
    block_on_close = True
    thread_name = "loopback-server"
    _thread: threading.Thread | None = None

    def server_bind(self) -> None:
        """Bind, or one line naming the address when it is taken (never a traceback)."""
        try:
            super().server_bind()
        except OSError as exc:
            raise InputError(busy_line(*self.server_address[:2], exc)) from None

    @property
    def origin(self) -> str:
        """http://host:port of the bound socket (the port the OS picked for port 0)."""
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"

    def start(self) -> Self:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wait for the serving thread and close the socket."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def busy_line(host: str | bytes, port: int, exc: BaseException | None = None) -> str:
    """The one line for an address nothing of ours can listen on."""
    why = getattr(exc, "strerror", None) or "already in use"
    name = host.decode() if isinstance(host, bytes) else host
    return f"cannot listen on {name}:{port} ({why}); pick another port, or stop what holds it"


def check_free(host: str, port: int) -> None:
    """Raise InputError when host:port cannot be bound now (port 0 is always free). For
    servers whose own bind failure is a log line and an opaque error (grpcio)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(busy_line(host, port, exc)) from None
