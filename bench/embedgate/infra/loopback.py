"""The life cycle every loopback HTTP server of the project shares (the OpenAI-shaped
embeddings and rerank servers, the Qdrant REST server): serve in a daemon thread, stop, close,
and use as a context manager. Standard library only."""
from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class BackgroundServer(ThreadingHTTPServer):
    """A threaded HTTP server that can serve in the background (`with server: ...`)."""

    daemon_threads = True
    block_on_close = True
    thread_name = "loopback-server"
    _thread: threading.Thread | None = None

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
