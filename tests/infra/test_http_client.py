"""JsonHttpClient against a real loopback server: retries, Retry-After, budget, secrecy."""
from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, UTC
from email.utils import format_datetime

import pytest

from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.http_client import (
    ClientConfig, JsonHttpClient, RequestBudget, RetryPolicy, is_loopback, parse_retry_after,
)

from tests.fakes.servers.openai_embeddings import Fault, FaultyServer, hashed_encoder

SECRET = "sk-test-9f8e7d6c5b4a-DO-NOT-LEAK"
FAST = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05, max_total_s=10.0)


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    with FaultyServer(hashed_encoder(16), 16, "hash-16", api_key=SECRET) as srv:
        yield srv


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EMBEDGATE_TEST_KEY", SECRET)
    return "EMBEDGATE_TEST_KEY"


def _client(server: FaultyServer, key_env: str | None, *, budget: RequestBudget | None = None,
            timeout_s: float = 5.0, retry: RetryPolicy = FAST, concurrency: int = 2,
            sleeps: list[float] | None = None) -> JsonHttpClient:
    config = ClientConfig(base_url=server.base_url, api_key_env=key_env, timeout_s=timeout_s,
                          max_concurrency=concurrency, retry=retry)
    sleep = (lambda s: sleeps.append(s)) if sleeps is not None else time.sleep
    return JsonHttpClient(config, budget=budget, rng=random.Random(0), sleep=sleep)


def _embed(client: JsonHttpClient, texts: list[str]) -> dict:
    return client.post_json("embeddings", {"model": "hash-16", "input": texts})


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=12), usegmt=True), now) == 12.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=12), usegmt=True), now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_exponentially_within_jitter() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=5.0, jitter=0.5)
    rng = random.Random(1)
    for retry, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        waits = [policy.backoff(retry, rng) for _ in range(50)]
        assert all(full * 0.5 <= w <= full for w in waits)
        assert max(waits) - min(waits) > 0.05 * full  # jitter really spreads them


def test_is_loopback() -> None:
    assert is_loopback("http://127.0.0.1:8080/v1")
    assert is_loopback("http://localhost/v1")
    assert is_loopback("http://[::1]:9/v1")
    assert not is_loopback("https://api.openai.com/v1")


def test_post_sends_bearer_key_and_decodes(server: FaultyServer, keyed: str) -> None:
    body = _embed(_client(server, keyed), ["a", "b"])
    assert [d["index"] for d in body["data"]] == [0, 1]
    assert server.auth_headers == [f"Bearer {SECRET}"]


def test_retries_429_honouring_retry_after_then_succeeds(server: FaultyServer, keyed: str) -> None:
    server.inject(Fault("429", seconds=0.2), Fault("500"))
    sleeps: list[float] = []
    client = _client(server, keyed, sleeps=sleeps)
    assert len(_embed(client, ["x"])["data"]) == 1
    assert sleeps[0] == pytest.approx(0.2)  # Retry-After wins over backoff
    assert 0.005 <= sleeps[1] <= 0.02  # second retry: backoff 0.02 with jitter
    assert client.stats.requests == 3 and client.stats.retries == 2


def test_retry_after_as_http_date(server: FaultyServer, keyed: str) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    server.inject(Fault("429", retry_after=format_datetime(when, usegmt=True)))
    sleeps: list[float] = []
    patient = RetryPolicy(max_attempts=2, max_total_s=60.0)
    _embed(_client(server, keyed, retry=patient, sleeps=sleeps), ["x"])
    assert 27.0 <= sleeps[0] <= 30.0


def test_retry_after_beyond_cap_fails_at_once(server: FaultyServer, keyed: str) -> None:
    server.inject(Fault("429", seconds=3600))
    client = _client(server, keyed, sleeps=[])
    with pytest.raises(InfraError, match="retry after 3600 s"):
        _embed(client, ["x"])
    assert client.stats.requests == 1


def test_gives_up_after_max_attempts_with_clear_error(server: FaultyServer, keyed: str) -> None:
    server.inject(*[Fault("500")] * 4)
    client = _client(server, keyed, sleeps=[])
    with pytest.raises(InfraError, match=r"gave up after 4 attempts; last error: HTTP 500"):
        _embed(client, ["x"])
    assert client.stats.requests == 4 and server.pending_faults() == 0


def test_timeout_is_retried(server: FaultyServer, keyed: str) -> None:
    server.inject(Fault("slow", seconds=1.0))
    client = _client(server, keyed, timeout_s=0.3, sleeps=[])
    assert len(_embed(client, ["x"])["data"]) == 1
    assert client.stats.retries == 1


def test_total_time_bound_stops_retries(server: FaultyServer, keyed: str) -> None:
    server.inject(*[Fault("500")] * 3)
    policy = RetryPolicy(max_attempts=10, base_delay_s=5.0, max_total_s=1.0)
    with pytest.raises(InfraError, match="max_total_s=1"):
        _embed(_client(server, keyed, retry=policy, sleeps=[]), ["x"])


def test_malformed_json_is_a_clear_infra_error(server: FaultyServer, keyed: str) -> None:
    server.inject(Fault("malformed"))
    with pytest.raises(InfraError, match="malformed JSON"):
        _embed(_client(server, keyed), ["x"])


def test_connection_refused_exhausts_retries() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nobody listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = JsonHttpClient(ClientConfig(base_url=f"http://127.0.0.1:{port}/v1", retry=FAST),
                            sleep=lambda s: None)
    with pytest.raises(InfraError, match="connection failed"):
        client.get_json("models")
    assert client.stats.requests == FAST.max_attempts


def test_budget_counts_retries_and_is_shared(server: FaultyServer, keyed: str) -> None:
    budget = RequestBudget(limit=3)
    a, b = _client(server, keyed, budget=budget), _client(server, keyed, budget=budget)
    server.inject(Fault("500"))
    _embed(a, ["x"])  # 2 requests: the failure and its retry
    _embed(b, ["y"])  # the third
    with pytest.raises(InfraError, match="request budget of 3 HTTP requests is spent"):
        _embed(a, ["z"])
    assert budget.used == 3 and server.requests_served == 3


def test_map_post_keeps_order_and_bounds_concurrency(keyed: str) -> None:
    in_flight, peak, lock = 0, 0, threading.Lock()
    inner = hashed_encoder(16)

    def encode(texts, role):  # called under the server's encode lock, so measure in the hook
        return inner(texts, role)

    class Counting(FaultyServer):
        def intercept(self, handler):  # type: ignore[no-untyped-def]
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.05)
            with lock:
                in_flight -= 1
            return False

    with Counting(encode, 16, "hash-16", api_key=SECRET) as srv:
        client = _client(srv, keyed, concurrency=3)
        payloads = [{"model": "hash-16", "input": [f"text {i}"]} for i in range(12)]
        bodies = client.map_post("embeddings", payloads)
    direct = inner([f"text {i}" for i in range(12)])
    got = [b["data"][0]["embedding"] for b in bodies]
    assert got == direct.tolist()
    assert 2 <= peak <= 3


def test_missing_key_env_is_input_error(server: FaultyServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDGATE_ABSENT_KEY", raising=False)
    with pytest.raises(InputError, match="EMBEDGATE_ABSENT_KEY is not set"):
        _client(server, "EMBEDGATE_ABSENT_KEY")


def test_wrong_key_is_input_error_without_leaking_it(server: FaultyServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDGATE_WRONG_KEY", "sk-wrong-key-123456")
    with pytest.raises(InputError) as info:
        _embed(_client(server, "EMBEDGATE_WRONG_KEY"), ["x"])
    assert "HTTP 401" in str(info.value) and "EMBEDGATE_WRONG_KEY" in str(info.value)
    assert "sk-wrong-key-123456" not in str(info.value)


def test_key_never_in_messages_logs_or_repr(keyed: str, caplog: pytest.LogCaptureFixture) -> None:
    class Echo(FaultyServer):  # a hostile server that echoes the Authorization header back
        def intercept(self, handler):  # type: ignore[no-untyped-def]
            handler.read_body()
            handler.send_bytes(503, f"bad {handler.headers['Authorization']}".encode())
            return True

    caplog.set_level(logging.DEBUG)
    with Echo(hashed_encoder(16), 16, "hash-16") as srv:
        client = _client(srv, keyed, sleeps=[])
        with pytest.raises(InfraError) as info:
            _embed(client, ["x"])
    assert "HTTP 503: bad Bearer ***" in str(info.value)
    for text in (str(info.value), repr(client), caplog.text):
        assert SECRET not in text
    assert info.value.__cause__ is None and info.value.__context__ is None  # no urllib objects
