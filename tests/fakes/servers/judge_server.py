"""A loopback chat-completions server that answers relevance-judging prompts (tests only).

The test hands it ``grade(query, passage) -> str`` (the answer text, e.g. "##final score: 3");
query and passage are read back from the UMBRELA prompt. ``delay`` seconds before each answer
trips client timeouts. Every request's model is recorded.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.servers.chat_server import serving


class JudgeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, grade: Callable[[str, str], str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.grade = grade
        self.delay = 0.0
        self.requests: list[str] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: JudgeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        prompt = body["messages"][-1]["content"]
        query = prompt.split("\nQuery: ", 1)[1].split("\nPassage: ", 1)[0]
        passage = prompt.split("\nPassage: ", 1)[1].rsplit("\n\nAnswer with", 1)[0]
        with self.server.lock:
            self.server.requests.append(body.get("model"))
        time.sleep(self.server.delay)
        answer = self.server.grade(query, passage)
        data = json.dumps({"choices": [{"message": {"role": "assistant",
                                                    "content": answer}}]}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def running(grade: Callable[[str, str], str]) -> Iterator[JudgeServer]:
    with serving(JudgeServer(grade)) as server:
        yield server
