"""A loopback OpenAI chat-completions server owned by the tests (stdlib ThreadingHTTPServer).

It answers ``POST /v1/chat/completions`` like a tiny extractive model: from the numbered
passages in the user message it returns the sentence sharing the most words with the
"Question:" line, so answers depend on the passages sent and can be right or wrong. A queue of
scripted faults answers upcoming requests in order: ``("slow", s)`` sleeps s seconds before
answering (to trip client timeouts), ``("500", 0)`` returns HTTP 500. Every request's
Authorization header and model are recorded for assertions.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

_WORD = re.compile(r"\w+")


def best_sentence(user: str) -> str:
    """The context sentence with the largest word overlap with the question (ties: first)."""
    question = user.rsplit("Question:", 1)[-1].split("\n", 1)[0]
    context = user.split("Question:", 1)[0]
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", context) if s.strip()]
    sentences = [re.sub(r"^(Context:\s*)?\[\d+\]\s*", "", s) for s in sentences]
    words = set(_WORD.findall(question.lower()))
    scored = [(len(words & set(_WORD.findall(s.lower()))), -i, s) for i, s in enumerate(sentences)]
    return max(scored)[2] if scored else ""


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.faults: deque[tuple[str, float]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def inject(self, *faults: tuple[str, float]) -> None:
        with self.lock:
            self.faults.extend(faults)

    def next_fault(self) -> tuple[str, float] | None:
        with self.lock:
            return self.faults.popleft() if self.faults else None


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with self.server.lock:
            self.server.requests.append({"auth": self.headers.get("Authorization"),
                                         "model": body.get("model"), "path": self.path})
        fault = self.server.next_fault()
        if fault is not None and fault[0] == "500":
            return self._send(500, {"error": {"message": "injected failure"}})
        if fault is not None and fault[0] == "slow":
            time.sleep(fault[1])
        if self.path != "/v1/chat/completions":
            return self._send(404, {"error": {"message": f"no route {self.path}"}})
        user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")
        self._send(200, {"object": "chat.completion", "model": body.get("model"),
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant",
                                                  "content": best_sentence(user)}}]})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test): nothing to answer


@contextmanager
def running() -> Iterator[ChatServer]:
    """Start a server on an ephemeral loopback port; shut it down afterwards."""
    with serving(ChatServer()) as server:
        yield server


ServerT = TypeVar("ServerT", bound=ThreadingHTTPServer)


@contextmanager
def serving(server: ServerT) -> Iterator[ServerT]:
    """Serve ``server`` on a background thread; shut it down afterwards."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
