"""`kind: qdrant` with `url:`: the real client (qdrant-client, REST) against the project's
loopback Qdrant server (Qdrant's REST shapes in front of the real engine, qdrant-edge), since no
Qdrant server can be installed here. `load: suite` reproduces the in-process engine and faiss
exact, waits for indexing, deletes its collection and keeps the key out of every output;
`load: existing` reads a collection production wrote (UUID point ids, the document id in the
payload) without a single write request, against the server's own exact search; faults are
one line with the right exit code."""
from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qdrant_client import QdrantClient
from qdrant_client import models as m

from embedgate.cli.entry import main
from embedgate.retrievers.serve_qdrant import QdrantServer

from tests.conftest import FIXTURES, install_example_plugin
from tests.retrievers.test_vector_store_filters import filtered_domain

KEY = "qd-s3cret-K3y"
pytestmark = pytest.mark.filterwarnings("ignore:Api key is used with an insecure connection")


def _suite(systems: str, data: Path = FIXTURES / "domain", top_k: int = 20) -> str:
    return f"""name: qdrant-server
seed: 13
embedders:
  - {{id: kw, kind: char-ngram}}
{systems}
datasets:
  - {{id: test, path: {data}, split: test}}
tiers:
  retrieval: {{datasets: [test], metrics: [nDCG@10, R@20], top_k: {top_k}}}
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[QdrantServer]:
    monkeypatch.setenv("QDRANT_KEY", KEY)
    with QdrantServer(api_key=KEY) as srv:
        yield srv


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    install_example_plugin(tmp_path / "site", monkeypatch)

    def run(systems: str, **kw: Any) -> int:
        (tmp_path / "suite.yaml").write_text(_suite(systems, **kw), encoding="utf-8")
        return main(["run", str(tmp_path / "suite.yaml"), "--out", str(tmp_path / "out"),
                     "--no-cache", "-q"])

    run.out = tmp_path / "out"  # type: ignore[attr-defined]
    return run


def _result(runner: Any) -> dict[str, Any]:
    return json.loads((runner.out / "results.json").read_text(encoding="utf-8"))


def _metric(result: dict[str, Any], system: str, metric: str) -> float:
    return next(r["value"] for r in result["metrics"] if r["embedder"] == system
                and r["metric"] == metric)


def _one_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_server_mode_reproduces_exact_search_and_leaves_nothing(
        server: QdrantServer, runner: Any) -> None:
    assert runner(f"""  - {{id: qs-exact, kind: qdrant, from: kw, url: "{server.url}",
     api_key_env: QDRANT_KEY, index: exact, latency_queries: 2}}
  - {{id: qs-hnsw, kind: qdrant, from: kw, url: "{server.url}", api_key_env: QDRANT_KEY,
     m: 4, ef_construct: 8, hnsw_ef: [4, 400], latency_queries: 2}}""") == 0
    result = _result(runner)
    # exact search on the server is faiss exact of the same cached vectors
    assert _metric(result, "qs-exact", "nDCG@10") == pytest.approx(
        _metric(result, "kw", "nDCG@10"), abs=1e-6)
    assert _metric(result, "qs-exact", "ANN-recall@10") > 0.99  # hashed n-grams tie
    # the sweep ran against an HNSW graph the server built (it waited for indexing): on a
    # sparse graph (m 4) a tiny hnsw_ef loses many neighbours, a wide beam finds far more
    low, high = (_metric(result, f"qs-hnsw@ef{ef}", "ANN-recall@20") for ef in (4, 400))
    assert low < 0.8 and high > 0.85 and high - low > 0.15
    pipeline = result["details"]["retrieval/qs-hnsw@ef400/test"]["pipeline"]
    assert pipeline["settings"]["mode"] == "server"
    assert pipeline["settings"]["server"] == server.url.removeprefix("http://")
    assert pipeline["settings"]["server_version"] == "1.16.0"
    assert pipeline["counts"]["indexed_vectors"] == pipeline["counts"]["n_vectors"] > 0
    assert server.collections == {}  # every collection the run created is deleted
    methods = {m_ for m_, _ in server.requests}
    assert {"PUT", "DELETE", "POST", "GET"} <= methods
    for path in (runner.out / "results.json", runner.out / "report.html"):
        assert KEY not in path.read_text(encoding="utf-8")
    # the report's sweep table: a server does not say its index size (an en dash, not 0.00)
    html = (runner.out / "report.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>qs-hnsw@ef4</td>(?:(?!</tr>).)*</tr>", html)
    sweep = [r for r in rows if r.count("<td") == 11]  # the vector-store sweep table's row
    assert len(sweep) == 1 and sweep[0].endswith('<td class="num missing">–</td><td>–</td></tr>')
    assert "<td>qdrant-client</td>" in html  # the backend the row went through


def _deployed(url: str, dim_docs: int | None = None) -> dict[str, str]:
    """Production's collection: the fixtures' corpus by the char-n-gram model under UUID point
    ids, the document id in the payload; plus one of another dimension. {doc id: point id}."""
    from tests.fakes.plugin_example.embedgate_example_plugin import CharNgramEmbedder

    class _Spec:
        id, kind, params = "kw", "char-ngram", {}

    docs = [json.loads(line) for line in
            (FIXTURES / "domain" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    vecs = np.asarray(CharNgramEmbedder(_Spec(), None).encode(
        [(d.get("title", "") + " " + d["text"]).strip() for d in docs], "passage"))
    client = QdrantClient(url=url, api_key=KEY, check_compatibility=False)
    client.create_collection("prod", vectors_config={"dense": m.VectorParams(
        size=vecs.shape[1], distance=m.Distance.DOT)},
        hnsw_config=m.HnswConfigDiff(m=8, ef_construct=32, full_scan_threshold=1),
        optimizers_config=m.OptimizersConfigDiff(indexing_threshold=1))
    ids = {d["_id"]: str(uuid.uuid5(uuid.NAMESPACE_URL, d["_id"])) for d in docs}
    client.upsert("prod", points=[m.PointStruct(id=ids[d["_id"]], vector={"dense": v.tolist()},
                                                payload={"doc_id": d["_id"],
                                                         **d.get("metadata", {})})
                                  for d, v in zip(docs, vecs)], wait=True)
    client.create_collection("prod_small", vectors_config=m.VectorParams(
        size=3, distance=m.Distance.DOT))
    return ids


EXISTING = ('  - {{id: qe, kind: qdrant, from: kw, url: "{url}", api_key_env: QDRANT_KEY, '
            'load: existing, collection: prod, vector_name: dense, id_payload_key: doc_id, '
            'hnsw_ef: [200], latency_queries: 2}}')


def test_existing_collection_is_only_read_and_judged_against_its_exact_search(
        server: QdrantServer, runner: Any) -> None:
    _deployed(server.url)
    before = len(server.requests)
    assert runner(EXISTING.format(url=server.url)) == 0
    assert server.writes()[-1][1] == "/collections/prod_small"  # the fixture's, none after
    assert all(m_ == "GET" or p.endswith("/points/query")
               for m_, p in server.requests[before:])
    result = _result(runner)
    pipeline = result["details"]["retrieval/qe/test"]["pipeline"]
    # production's vectors are the model's, so the server's exact search is faiss exact
    assert pipeline["inputs"]["qe:exact-scan"]["nDCG@10"] == pytest.approx(
        _metric(result, "kw", "nDCG@10"), abs=1e-6)
    assert _metric(result, "qe", "ANN-recall@10") > 0.95
    settings = pipeline["settings"]
    assert settings["collection"] == "prod" and settings["collection_m"] == 8
    n_docs = len((FIXTURES / "domain" / "corpus.jsonl").read_text(encoding="utf-8").splitlines())
    assert settings["points"] == n_docs
    assert set(server.collections) == {"prod", "prod_small"}


def test_existing_collection_with_filters_returns_only_matching_documents(
        server: QdrantServer, runner: Any, tmp_path: Path) -> None:
    from embedgate.algorithms.filters import matches
    from embedgate.inputs.beir import load_beir

    _deployed(server.url)
    data = filtered_domain(tmp_path / "filtered")
    before = len(server.requests)
    assert runner(EXISTING.format(url=server.url), data=data) == 0
    assert all(m_ == "GET" or p.endswith("/points/query")
               for m_, p in server.requests[before:])
    coll = load_beir("test", data, "test")
    for line in (runner.out / "runs" / "qe__test.trec").read_text().splitlines():
        qid, _, doc, *_ = line.split()
        assert matches(coll.meta[doc], coll.filters[qid])
    result = _result(runner)
    assert _metric(result, "qe", "ANN-recall@10") > 0.95


@pytest.mark.parametrize(("extra", "expected"), [
    ("collection: nowhere", "collection 'nowhere' does not exist"),
    ("collection: prod_small", "holds one unnamed vector"),
    ("collection: prod, vector_name: sparse", "holds the named vectors dense"),
    ("collection: prod_small, vector_name: null", "holds 3-d vectors but kw encodes 256-d"),
])
def test_a_deployed_collection_that_does_not_fit_is_exit_2(
        server: QdrantServer, runner: Any, capsys: pytest.CaptureFixture[str], extra: str,
        expected: str) -> None:
    _deployed(server.url)
    name = "vector_name: dense, " if "vector_name" not in extra else ""
    assert runner(f'  - {{id: qe, kind: qdrant, from: kw, url: "{server.url}", '
                  f"api_key_env: QDRANT_KEY, load: existing, {name}{extra}}}") == 2
    line = _one_line(capsys.readouterr().err)
    assert expected in line and "suite.yaml:" in line
    assert not (runner.out / "results.json").exists()


def test_a_wrong_key_or_no_server_is_exit_4_naming_the_host_never_the_key(
        server: QdrantServer, runner: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDRANT_KEY", "wrong-" + KEY)
    system = '  - {{id: qs, kind: qdrant, from: kw, url: "{url}", api_key_env: QDRANT_KEY}}'
    assert runner(system.format(url=server.url)) == 4
    line = _one_line(capsys.readouterr().err)
    host = server.url.removeprefix("http://")
    assert "refused the API key (HTTP 401)" in line and host in line and KEY not in line
    server.stop()  # nothing listens there any more
    assert runner(system.format(url=server.url)) == 4
    line = _one_line(capsys.readouterr().err)
    assert "cannot reach" in line and host in line and KEY not in line
    assert not (runner.out / "results.json").exists()


def test_a_taken_collection_is_refused_unless_replace(
        server: QdrantServer, runner: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _deployed(server.url)
    system = ('  - {{id: qs, kind: qdrant, from: kw, url: "{url}", api_key_env: QDRANT_KEY, '
              'collection: prod_small{extra}}}')
    assert runner(system.format(url=server.url, extra="")) == 2
    assert "collection 'prod_small' already exists" in _one_line(capsys.readouterr().err)
    assert "prod_small" in server.collections  # untouched
    assert runner(system.format(url=server.url, extra=", replace: true")) == 0
    assert "prod_small" not in server.collections  # replaced, then deleted like its own


def test_a_connection_dropped_mid_run_is_exit_4_and_no_results(
        runner: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The server closes the connection without answering the third query."""

    class Dropping(QdrantServer):
        queries = 0

        def intercept(self, handler: Any, method: str, path: str) -> bool:
            if path.endswith("/points/query"):
                self.queries += 1
                if self.queries == 3:
                    handler.close_connection = True
                    handler.connection.close()
                    return True
            return False

    monkeypatch.setenv("QDRANT_KEY", KEY)
    with Dropping(api_key=KEY) as srv:
        assert runner(f'  - {{id: qs, kind: qdrant, from: kw, url: "{srv.url}", '
                      "api_key_env: QDRANT_KEY}") == 4
        line = _one_line(capsys.readouterr().err)
        assert "lost the connection" in line and srv.url.removeprefix("http://") in line
        assert srv.collections == {}  # deleted even so
    assert not (runner.out / "results.json").exists()


@pytest.mark.parametrize(("system", "expected"), [
    ("{id: q, kind: qdrant, from: kw, api_key_env: QDRANT_KEY}", "needs a server: give url:"),
    ("{id: q, kind: qdrant, from: kw, url: 'http://127.0.0.1:9', load: existing}",
     "load: existing needs collection:"),
    ("{id: q, kind: qdrant, from: kw, url: 'http://127.0.0.1:9', load: existing, "
     "collection: c, quantization: scalar}", "keeps its own index and quantization"),
    ("{id: q, kind: qdrant, from: kw, url: 'http://me:pw@127.0.0.1:9'}",
     "carries no user:password@"),
    ("{id: q, kind: qdrant, from: kw, url: 'http://127.0.0.1/qdrant'}", "the port is required"),
])
def test_server_settings_that_cannot_work_are_one_line(
        runner: Any, capsys: pytest.CaptureFixture[str], system: str, expected: str) -> None:
    assert runner(f"  - {system}") == 2
    line = _one_line(capsys.readouterr().err)
    assert expected in line and "pw" not in line


def test_serve_qdrant_serves_the_client_until_ctrl_c(tmp_path: Path) -> None:
    """The command a user runs to try server mode: the real client creates, fills and queries
    a collection through it, over REST and over gRPC; Ctrl-C stops it cleanly."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as s, socket.socket() as s2:
        s.bind(("127.0.0.1", 0))
        s2.bind(("127.0.0.1", 0))
        port, gport = s.getsockname()[1], s2.getsockname()[1]
    env = {**os.environ, "QDRANT_KEY": KEY}
    proc = subprocess.Popen([sys.executable, "-m", "embedgate", "serve-qdrant", "--port",
                             str(port), "--api-key-env", "QDRANT_KEY", "--grpc-port", str(gport)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}, gRPC on port {gport}" in line
        assert "api-key required" in line
        client = QdrantClient(url=f"http://127.0.0.1:{port}", api_key=KEY,
                              check_compatibility=False)
        client.create_collection("c", vectors_config=m.VectorParams(size=2,
                                                                     distance=m.Distance.DOT))
        client.upsert("c", points=m.Batch(ids=[1, 2], vectors=[[1.0, 0.0], [0.0, 1.0]]),
                      wait=True)
        found = client.query_points("c", query=[0.9, 0.1], limit=1).points
        assert [p.id for p in found] == [1]
        over_grpc = QdrantClient(url=f"http://127.0.0.1:{port}", api_key=KEY, prefer_grpc=True,
                                 grpc_port=gport, check_compatibility=False)
        found = over_grpc.query_points("c", query=[0.1, 0.9], limit=1).points
        assert [p.id for p in found] == [2]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_serve_qdrant_without_its_key_is_one_line(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QDRANT_UNSET_KEY", raising=False)
    assert main(["serve-qdrant", "--api-key-env", "QDRANT_UNSET_KEY"]) == 2
    assert "QDRANT_UNSET_KEY is not set" in _one_line(capsys.readouterr().err)


class _Stuck(QdrantServer):
    """Reports its collections as `status` with no vector in the graph, whatever the engine
    did (a server whose optimizer never finishes, or never indexes)."""

    status = "yellow"

    def _get(self, c: str, body: Any) -> dict[str, Any]:
        return {**super()._get(c, body), "status": self.status, "indexed_vectors_count": 0}


def test_a_server_that_never_finishes_indexing_is_exit_4_after_the_timeout(
        runner: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDRANT_KEY", KEY)
    with _Stuck(api_key=KEY) as srv:
        assert runner(f'  - {{id: qs, kind: qdrant, from: kw, url: "{srv.url}", '
                      "api_key_env: QDRANT_KEY, index_timeout_s: 1}") == 4
        line = _one_line(capsys.readouterr().err)
        assert "had indexed 0 of" in line and "index_timeout_s 1" in line
        assert srv.collections == {}


def test_an_idle_server_with_vectors_outside_the_graph_is_searched_and_says_so(
        runner: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from embedgate.retrievers import qdrant_remote

    monkeypatch.setenv("QDRANT_KEY", KEY)
    monkeypatch.setattr(qdrant_remote, "IDLE_S", 0.5)
    with _Stuck(api_key=KEY) as srv:
        srv.status = "green"
        assert runner(f'  - {{id: qs, kind: qdrant, from: kw, url: "{srv.url}", '
                      "api_key_env: QDRANT_KEY}") == 0
    counts = _result(runner)["details"]["retrieval/qs/test"]["pipeline"]["counts"]
    assert counts["indexed_vectors"] == 0 < counts["n_vectors"]
    assert "vectors in the graph; searching anyway" in caplog.text


def test_a_server_behind_a_reverse_proxy_prefix(runner: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """url: with a path: qdrant-client sends every request under that prefix."""
    monkeypatch.setenv("QDRANT_KEY", KEY)
    with QdrantServer(api_key=KEY, prefix="vectors/qdrant") as srv:
        assert srv.url.endswith(":%d/vectors/qdrant" % srv.server_address[1])
        assert runner(f'  - {{id: qs, kind: qdrant, from: kw, url: "{srv.url}", '
                      "api_key_env: QDRANT_KEY, index: exact}") == 0
        assert srv.requests and all(p.startswith("/vectors/qdrant/") for _, p in srv.requests)
    result = _result(runner)
    assert _metric(result, "qs", "nDCG@10") == pytest.approx(_metric(result, "kw", "nDCG@10"),
                                                             abs=1e-6)
    assert result["details"]["retrieval/qs/test"]["pipeline"]["settings"]["server"].endswith(
        "/vectors/qdrant")
