"""A whole run against a hostile endpoint: a redirect to another host stops it with one exit-4
line naming the suite entry, and the key never reaches that host; a URL password never reaches
results.json or the report."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from embedgate.cli.entry import main

from tests.conftest import write_beir
from tests.fakes.servers.openai_embeddings import Fault, FaultyServer, hashed_encoder

SECRET = "sk-hostile-redirect-LEAKCHECK"


@pytest.fixture
def servers() -> Iterator[tuple[FaultyServer, FaultyServer]]:
    with FaultyServer(hashed_encoder(16), 16, "hash-16") as named, \
            FaultyServer(hashed_encoder(16), 16, "hash-16") as other:
        yield named, other


def _suite(tmp_path: Path, base_url: str, key: bool = True) -> Path:
    data = write_beir(tmp_path / "tiny", [{"_id": "d1", "text": "alpha beta"},
                                          {"_id": "d2", "text": "gamma"}],
                      [{"_id": "q1", "text": "alpha"}], [("q1", "d1", 1)])
    path = tmp_path / "suite.yaml"
    path.write_text(f"""name: hostile
embedders:
  - id: remote
    kind: openai-compatible
    base_url: {base_url}
    model: hash-16
{"    api_key_env: HOSTILE_KEY" if key else ""}
    max_retries: 0
datasets:
  - {{id: tiny, path: {data}}}
tiers:
  retrieval: {{metrics: [nDCG@2], top_k: 2}}
""", encoding="utf-8")
    return path


def test_a_redirect_to_another_host_stops_the_run_and_keeps_the_key(
        tmp_path: Path, servers: tuple[FaultyServer, FaultyServer],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    named, other = servers
    monkeypatch.setenv("HOSTILE_KEY", SECRET)
    named.inject(Fault("redirect", location=other.base_url + "/embeddings", status=307))
    code = main(["run", str(_suite(tmp_path, named.base_url)), "--out", str(tmp_path / "out"),
                 "-q", "--no-cache"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 4 and len(err) == 1, err
    assert err[0].startswith(f'embedgate: error: {tmp_path / "suite.yaml"}:3: embedder "remote": '
                             f"POST {named.base_url}/embeddings: HTTP 307 redirect to "
                             f"{other.base_url}/embeddings, another origin")
    assert other.requests_served == 0 and SECRET not in err[0]
    assert not (tmp_path / "out" / "results.json").exists()


def test_a_url_password_is_redacted_in_every_output(
        tmp_path: Path, servers: tuple[FaultyServer, FaultyServer],
        capsys: pytest.CaptureFixture[str]) -> None:
    named, _ = servers
    url = named.base_url.replace("http://", "http://bob:hunter2@")
    assert main(["run", str(_suite(tmp_path, url, key=False)), "--out", str(tmp_path / "out"),
                 "-q", "--no-cache"]) == 0
    outputs = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(outputs) >= 2
    for p in outputs:
        assert b"hunter2" not in p.read_bytes(), p
    assert "bob:***@127.0.0.1" in (tmp_path / "out" / "results.json").read_text(encoding="utf-8")
    assert all(h and h.startswith("Basic ") for h in named.auth_headers)
    assert "hunter2" not in "".join(capsys.readouterr())
