"""Redirects, URL passwords and non-finite numbers, against real loopback servers.

A hostile endpoint answers 30x towards another loopback port (another origin); the second
server records every Authorization header that reaches it, so "the key did not follow" is
observed on the wire, not inferred from the client's code.
"""
from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from embedgate.infra.errors import InfraError
from embedgate.infra.http_client import ClientConfig, JsonHttpClient, RetryPolicy
from embedgate.infra.urls import origin, redact_url, split_userinfo

from tests.fakes.servers.openai_embeddings import Fault, FaultyServer, hashed_encoder

SECRET = "sk-redirect-test-DO-NOT-LEAK"
ONCE = RetryPolicy(max_attempts=1)


@pytest.fixture
def hostile() -> Iterator[FaultyServer]:
    with FaultyServer(hashed_encoder(16), 16, "hash-16", api_key=SECRET) as srv:
        yield srv


@pytest.fixture
def elsewhere() -> Iterator[FaultyServer]:
    with FaultyServer(hashed_encoder(16), 16, "hash-16") as srv:  # takes any key: records it
        yield srv


def _client(base_url: str, monkeypatch: pytest.MonkeyPatch, key: bool = True,
            where: str = "") -> JsonHttpClient:
    if key:
        monkeypatch.setenv("REDIRECT_TEST_KEY", SECRET)
    config = ClientConfig(base_url=base_url, api_key_env="REDIRECT_TEST_KEY" if key else None,
                          retry=ONCE, timeout_s=5)
    return JsonHttpClient(config, where=where)


def _embed(client: JsonHttpClient) -> dict:
    return client.post_json("embeddings", {"model": "hash-16", "input": ["a", "b"]})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_cross_origin_redirect_is_refused_and_the_key_never_arrives(
        hostile: FaultyServer, elsewhere: FaultyServer, monkeypatch: pytest.MonkeyPatch,
        status: int) -> None:
    hostile.inject(Fault("redirect", location=elsewhere.base_url + "/embeddings", status=status))
    client = _client(hostile.base_url, monkeypatch, where='suite.yaml:7: embedder "api"')
    with pytest.raises(InfraError) as err:
        _embed(client)
    message = str(err.value)
    assert elsewhere.requests_served == 0 and elsewhere.auth_headers == []
    assert hostile.auth_headers == [f"Bearer {SECRET}"]  # the key went only where it was sent
    assert message.startswith('suite.yaml:7: embedder "api": POST http://127.0.0.1:')
    assert f"HTTP {status} redirect to {elsewhere.base_url}/embeddings" in message
    assert "base_url" in message and SECRET not in message and "\n" not in message
    assert err.value.exit_code == 4


def test_a_same_origin_307_and_308_repeat_the_post_with_its_key(
        hostile: FaultyServer, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(hostile.base_url, monkeypatch)
    for status in (307, 308):
        hostile.inject(Fault("redirect", location=hostile.base_url + "/embeddings",
                             status=status))
        body = client.post_json("old/embeddings", {"model": "hash-16", "input": ["a", "b"]})
        assert len(body["data"]) == 2 and len(body["data"][0]["embedding"]) == 16
    assert hostile.auth_headers == [f"Bearer {SECRET}"] * 4


def test_a_redirect_to_another_port_or_scheme_of_the_same_host_is_another_origin(
        hostile: FaultyServer, monkeypatch: pytest.MonkeyPatch) -> None:
    https = hostile.base_url.replace("http://", "https://") + "/embeddings"
    hostile.inject(Fault("redirect", location=https, status=308))
    with pytest.raises(InfraError, match="another origin"):
        _embed(_client(hostile.base_url, monkeypatch))
    assert origin("http://H.example/x") == origin("http://h.example:80/y")
    assert origin("http://h.example/") != origin("https://h.example/")


def test_a_password_in_the_url_travels_as_basic_auth_and_is_never_shown(
        elsewhere: FaultyServer, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    url = elsewhere.base_url.replace("http://", "http://bob:pa%40ss-word@")
    client = _client(url, monkeypatch, key=False)
    assert len(_embed(client)["data"]) == 2
    assert elsewhere.auth_headers == ["Basic " + base64.b64encode(b"bob:pa@ss-word").decode()]
    elsewhere.inject(Fault("500"))
    with pytest.raises(InfraError) as err:
        _embed(client)
    shown = str(err.value) + repr(client) + caplog.text
    assert f"POST {elsewhere.base_url}/embeddings: gave up" in str(err.value)
    assert client.redact(url) == url.replace("pa%40ss-word", "***")  # as results.json shows it
    assert "pa%40ss" not in shown and "pa@ss" not in shown


def test_a_password_in_an_unreachable_url_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = _client(f"http://bob:hunter2@127.0.0.1:{port}/v1", monkeypatch, key=False)
    with pytest.raises(InfraError) as err:
        _embed(client)
    assert "hunter2" not in str(err.value) and "gave up" in str(err.value)


def test_redact_url_and_split_userinfo() -> None:
    assert redact_url("a https://u:p@h/x and http://v:q@k:1/ b") == \
        "a https://u:***@h/x and http://v:***@k:1/ b"
    assert redact_url("https://h.example/v1 user@example.com") == \
        "https://h.example/v1 user@example.com"
    assert split_userinfo("http://h:8/v1") == ("http://h:8/v1", None)
    assert split_userinfo("http://u:p%2F@h:8/v1") == ("http://h:8/v1", ("u", "p/"))


@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e999"])
def test_a_non_finite_number_in_a_reply_is_an_infra_error(
        hostile: FaultyServer, monkeypatch: pytest.MonkeyPatch, number: str) -> None:
    hostile.inject(Fault("non-finite", location=number))
    with pytest.raises(InfraError) as err:
        _embed(_client(hostile.base_url, monkeypatch))
    assert f"non-finite number {number}" in str(err.value)
    assert "every number on the wire must be finite" in str(err.value)
