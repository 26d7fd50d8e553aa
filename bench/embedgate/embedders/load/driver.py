"""The open-loop engine of load tests (`embedgate bench load`, the `load` tier): seeded Poisson
arrivals of Zipf-drawn queries against a loopback OpenAI embeddings endpoint, bounded in
requests and seconds.

Open loop: each request is sent at its scheduled time whether or not earlier ones answered
(a pool of `concurrency` threads sends them); latency is measured from the scheduled time, so
time spent waiting for a free sender counts (no coordinated omission). A step stops scheduling
after `step_s` seconds or `max_requests` requests, whichever first, then waits at most
`timeout_s` for what is in flight.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.wire import NonFiniteNumber, loads_finite

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(url: str) -> bool:
    """Whether `url` is plain http:// on 127.0.0.1, localhost or ::1 (load stays on this host)."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def loopback_url(url: str, what: str = "--url") -> urllib.parse.SplitResult:
    """The parsed URL when its host is 127.0.0.1, localhost or ::1; else one clear error."""
    parts = urllib.parse.urlsplit(url)
    if not is_loopback(url):
        raise InputError(f"{what} {url}: load tests run only against http:// on 127.0.0.1, "
                         "localhost or ::1; start the server on this machine "
                         "(embedgate serve-openai) and point --url at it")
    return parts


def zipf_stream(queries: list[str], n: int, exponent: float,
                rng: np.random.Generator) -> list[str]:
    """n queries drawn with P(rank r) ∝ 1 / r^exponent over a seeded shuffle of `queries`."""
    order = rng.permutation(len(queries))
    weights = 1.0 / np.arange(1, len(queries) + 1) ** exponent
    picks = rng.choice(len(queries), size=n, p=weights / weights.sum())
    return [queries[order[i]] for i in picks]


def poisson_offsets(qps: float, step_s: float, max_requests: int,
                    rng: np.random.Generator) -> list[float]:
    """Send times (seconds from the step start) of a Poisson process, within both caps."""
    gaps = rng.exponential(1.0 / qps, size=max_requests)
    times = np.cumsum(gaps)
    return [float(t) for t in times[times < step_s]]


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str  # .../embeddings
    model: str
    timeout_s: float = 10.0
    api_key: str | None = None  # sent as a bearer token; never logged or reported

    @classmethod
    def of(cls, base_url: str, model: str, timeout_s: float = 10.0,
           api_key: str | None = None) -> Target:
        parts = loopback_url(base_url)
        path = parts.path.rstrip("/") + "/embeddings"
        return cls(parts.hostname or "127.0.0.1", parts.port or 80, path, model, timeout_s,
                   api_key)


class Sender:
    """POSTs embeddings requests over one keep-alive connection per sending thread."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._local = threading.local()

    def embed(self, texts: list[str], role: str = "query") -> list[list[float]]:
        body = json.dumps({"model": self.target.model, "input": texts, "input_type": role})
        headers = {"Content-Type": "application/json"}
        if self.target.api_key:
            headers["Authorization"] = f"Bearer {self.target.api_key}"
        conn = self._conn()
        try:
            conn.request("POST", self.target.path, body, headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self._local.conn = None  # a broken connection is replaced on the next request
            conn.close()
            raise
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        try:  # served vectors feed the quality check: a NaN must not pass as a vector
            rows = sorted(loads_finite(payload)["data"], key=lambda d: d["index"])
        except NonFiniteNumber as exc:
            raise InfraError(f"{self.target.host}:{self.target.port}{self.target.path}: "
                             f"the server answered with a {exc}") from None
        return [row["embedding"] for row in rows]

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.target.host, self.target.port,
                                              timeout=self.target.timeout_s)
            self._local.conn = conn
        return conn


@dataclass(frozen=True)
class StepResult:
    qps: float
    sent: int
    ok: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    achieved_qps: float
    wall_s: float
    cache_hits: int | None = None  # the server's query LRU during this step, when it has one
    cache_lookups: int | None = None


def run_step(sender: Sender, stream: list[str], offsets: list[float], qps: float,
             concurrency: int) -> StepResult:
    """Send stream[i] at offsets[i]; collect latencies from the scheduled times."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter()

    def one(text: str, due: float) -> None:
        try:
            sender.embed([text])
            with lock:
                latencies.append((time.perf_counter() - start - due) * 1000.0)
        except Exception:  # counted, never raised: a load test reports errors
            with lock:
                errors[0] += 1

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for text, due in zip(stream, offsets, strict=False):
            delay = due - (time.perf_counter() - start)
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, text, due)
    wall = time.perf_counter() - start
    p50, p95, p99 = (np.percentile(latencies, [50, 95, 99]) if latencies
                     else (float("nan"),) * 3)
    return StepResult(qps, len(offsets), len(latencies), errors[0], float(p50), float(p95),
                      float(p99), len(latencies) / wall if wall > 0 else 0.0, wall)
