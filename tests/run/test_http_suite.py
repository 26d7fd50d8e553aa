"""Whole suites with an openai-compatible embedder: the key never leaks; --dry-run sends nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedgate.cli.entry import main

from tests.conftest import write_beir
from tests.fakes.servers.openai_embeddings import Fault, FaultyServer, hashed_encoder

SECRET = "sk-live-7Hq2ZpX9vR4mKc8Tn1Bw-LEAKCHECK"
KEY_ENV = "EMBEDGATE_BAKEOFF_TEST_KEY"


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    with FaultyServer(hashed_encoder(16), 16, "hash-16", api_key=SECRET) as srv:
        yield srv


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    corpus = [{"_id": "d1", "text": "alpha beta"}, {"_id": "d2", "text": "gamma"},
              {"_id": "d3", "text": "心肌缺血"}]
    queries = [{"_id": "q1", "text": "alpha"}, {"_id": "q2", "text": "血"},
               {"_id": "q3", "text": "unjudged"}]
    return write_beir(tmp_path / "tiny", corpus, queries, [("q1", "d1", 1), ("q2", "d3", 1)])


def _suite(path: Path, server: FaultyServer, data: Path, budget: int = 50) -> Path:
    path.write_text(f"""
name: http-suite
embedders:
  - id: remote
    kind: openai-compatible
    base_url: {server.base_url}
    model: hash-16
    api_key_env: {KEY_ENV}
    max_inputs_per_request: 2
    backoff_s: 0.01
    request_budget: {budget}
datasets:
  - id: tiny
    path: {data}
tiers:
  retrieval:
    metrics: [nDCG@10, R@5]
    top_k: 10
""", encoding="utf-8")
    return path


def _assert_no_secret_under(root: Path) -> int:
    files = [p for p in root.rglob("*") if p.is_file()]
    for p in files:
        assert SECRET.encode() not in p.read_bytes(), f"API key leaked into {p}"
    return len(files)


def test_key_never_reaches_outputs_or_stderr(tmp_path: Path, server: FaultyServer,
                                             tiny: Path) -> None:
    """A real CLI process, verbose logging, retried faults: the key must appear nowhere."""
    suite = _suite(tmp_path / "suite.yaml", server, tiny)
    server.inject(Fault("429", seconds=0.05), Fault("500"))  # make the client log retries
    env = {**os.environ, KEY_ENV: SECRET}
    proc = subprocess.run([sys.executable, "-m", "embedgate", "-v", "run", str(suite),
                           "--out", str(tmp_path / "out"), "-q"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "HTTP 429" in proc.stderr and "HTTP 500" in proc.stderr  # the retries were logged
    assert set(server.auth_headers) == {f"Bearer {SECRET}"}  # the key really was used
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    assert _assert_no_secret_under(tmp_path / "out") >= 3  # results, report, TREC run
    assert _assert_no_secret_under(Path(os.environ["EMBEDGATE_CACHE_DIR"])) >= 1  # the cache DB


def test_failed_run_message_has_no_key(tmp_path: Path, server: FaultyServer, tiny: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str],
                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    suite = _suite(tmp_path / "suite.yaml", server, tiny)
    server.inject(Fault("500"), Fault("ok"), Fault("wrong-dim"))  # probe fails, retry ok
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "-q"]) == 4
    err = capsys.readouterr().err
    assert "returned 17-dimensional vectors, expected 16" in err
    assert SECRET not in err and SECRET not in caplog.text
    assert not (tmp_path / "out" / "results.json").exists()


def test_dry_run_counts_and_sends_nothing(tmp_path: Path, server: FaultyServer, tiny: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    suite = _suite(tmp_path / "suite.yaml", server, tiny)
    assert main(["run", str(suite), "--dry-run", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    # 2 judged queries (q3 has no qrels), 3 passages; tokens: alpha beta=3, gamma=2,
    # 心肌缺血=4, alpha=2, 血=1 → 12; requests: probe + 2 (passages by 2) + 1 (queries) = 4.
    row = next(line.split() for line in out.splitlines() if line.startswith("remote"))
    assert row == ["remote", "2", "3", "12", "4", "50"]
    assert server.requests_served == 0 and not (tmp_path / "out").exists()


def test_dry_run_flags_a_budget_too_small(tmp_path: Path, server: FaultyServer, tiny: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    suite = _suite(tmp_path / "suite.yaml", server, tiny, budget=3)
    assert main(["run", str(suite), "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert "OVER BUDGET" in captured.out
    assert f"{suite}:" in captured.err and "would send 4 requests" in captured.err
    assert server.requests_served == 0
