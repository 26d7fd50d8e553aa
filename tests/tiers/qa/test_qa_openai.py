"""The openai-compatible reader against a real chat-completions server on loopback."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.infra.errors import InfraError

from tests.helpers.qa import EXPECTED, attributions, run_toy, toy_suite
from tests.fakes.servers.chat_server import ChatServer, running

KEY = "sk-test-qa-0123456789"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ChatServer]:
    monkeypatch.setenv("QA_TEST_KEY", KEY)
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    with running() as srv:
        yield srv


def _readers(server: ChatServer, **extra: object) -> str:
    opts = {"timeout_s": 5, "max_retries": 2, "backoff_s": 0.05, "max_concurrency": 2, **extra}
    fields = ", ".join(f"{k}: {v}" for k, v in opts.items())
    return (f"[{{id: chat, type: openai-compatible, base_url: '{server.base_url}', model: toy-chat,"
            f" api_key_env: QA_TEST_KEY, {fields}}}]")


def test_answers_are_judged_and_attributed(server: ChatServer, tmp_path: Path) -> None:
    result = run_toy(toy_suite(tmp_path, _readers(server)))
    assert attributions(result, "chat") == EXPECTED
    # 3 questions x (retrieved passage, gold passage), but q1's and q3's retrieved passage is
    # their gold passage: identical prompts are asked once.
    assert len(server.requests) == 4
    assert {r["auth"] for r in server.requests} == {f"Bearer {KEY}"}
    assert {r["path"] for r in server.requests} == {"/v1/chat/completions"}
    info = result.details["readers"]["chat"]
    assert info["http"]["requests"] == 4 and info["http"]["retries"] == 0
    assert KEY not in str(result.model_dump())


def test_generations_are_cached_across_runs(server: ChatServer, tmp_path: Path) -> None:
    suite = toy_suite(tmp_path, _readers(server))
    run_toy(suite)
    again = run_toy(suite)
    assert len(server.requests) == 4  # the second run asked nothing
    assert again.details["readers"]["chat"]["cache_hits"] == 6
    assert attributions(again, "chat") == EXPECTED


def test_a_timeout_is_retried(server: ChatServer, tmp_path: Path) -> None:
    server.inject(("slow", 2.0))
    result = run_toy(toy_suite(tmp_path, _readers(server, timeout_s=0.5, max_concurrency=1)))
    assert attributions(result, "chat") == EXPECTED
    assert result.details["readers"]["chat"]["http"]["retries"] == 1
    assert len(server.requests) == 5


def test_a_500_is_retried(server: ChatServer, tmp_path: Path) -> None:
    server.inject(("500", 0))
    result = run_toy(toy_suite(tmp_path, _readers(server, max_concurrency=1)))
    assert attributions(result, "chat") == EXPECTED
    assert result.details["readers"]["chat"]["http"]["retries"] == 1


def test_persistent_500_fails_as_infrastructure(server: ChatServer, tmp_path: Path) -> None:
    server.inject(*[("500", 0)] * 3)
    with pytest.raises(InfraError) as err:
        run_toy(toy_suite(tmp_path, _readers(server, max_concurrency=1)))
    assert "gave up after 3 attempts" in str(err.value) and "HTTP 500" in str(err.value)


@pytest.mark.slow
def test_cli_exit_4_on_persistent_timeouts_and_key_never_written(
        server: ChatServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = toy_suite(tmp_path, _readers(server, timeout_s=0.3, max_retries=1, max_concurrency=1))
    server.inject(("slow", 1.0), ("slow", 1.0))
    out = tmp_path / "out"
    assert main(["run", str(suite), "--out", str(out), "-q"]) == 4
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert len(lines) == 1 and "timeout" in lines[0] and "Traceback" not in err
    assert KEY not in err and not (out / "results.json").exists()


@pytest.mark.slow
def test_cli_run_writes_results_without_the_key(server: ChatServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", str(toy_suite(tmp_path, _readers(server))), "--out", str(out), "-q"]) == 0
    text = (out / "results.json").read_text(encoding="utf-8")
    assert KEY not in text and '"chat:accuracy"' in text
    assert KEY not in (out / "report.html").read_text(encoding="utf-8")


def test_missing_key_variable_is_bad_input(server: ChatServer, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("QA_TEST_KEY")
    suite = toy_suite(tmp_path, _readers(server))
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "QA_TEST_KEY is not set" in err and len(err.strip().splitlines()) == 1
    assert server.requests == []
