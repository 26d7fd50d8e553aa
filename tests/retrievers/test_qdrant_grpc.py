"""`kind: qdrant` with `grpc_port:`: the real client over gRPC (prefer_grpc) against the
loopback server's gRPC front (Qdrant's gRPC messages converted by qdrant-client's own converters
to the REST shapes, the real engine behind them). Every call goes over gRPC, the results equal
the REST transport's, `load: existing` still writes nothing, and faults are one line."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from embedgate.retrievers.serve_qdrant import QdrantServer

from tests.retrievers.test_qdrant_server import (EXISTING, KEY, _deployed, _metric, _one_line,
                                                 _result, runner)

pytestmark = pytest.mark.filterwarnings("ignore:Api key is used with an insecure connection")
__all__ = ["runner"]  # the fixture, shared with the REST tests


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[QdrantServer]:
    monkeypatch.setenv("QDRANT_KEY", KEY)
    with QdrantServer(api_key=KEY, grpc_port=0) as srv:
        yield srv


def _system(srv: QdrantServer, sid: str, extra: str, grpc: bool = True) -> str:
    port = f", grpc_port: {srv.grpc_port}" if grpc else ""
    return (f'  - {{id: {sid}, kind: qdrant, from: kw, url: "{srv.url}", '
            f"api_key_env: QDRANT_KEY{port}, latency_queries: 2, {extra}}}")


def test_every_call_goes_over_grpc_and_equals_rest(server: QdrantServer, runner: Any) -> None:
    systems = "\n".join([_system(server, "qg-exact", "index: exact"),
                         _system(server, "qg-hnsw", "m: 4, ef_construct: 8, hnsw_ef: [4, 400]")])
    assert runner(systems) == 0
    # the REST port saw nothing: every request the server logged came through gRPC
    assert len(server.requests) == len(server.grpc_calls) > 0
    assert {"Qdrant/HealthCheck", "Collections/Create", "Points/Upsert", "Collections/Get",
            "Points/Query", "Collections/Delete"} <= set(server.grpc_calls)
    assert server.collections == {}
    grpc_result = _result(runner)
    pipeline = grpc_result["details"]["retrieval/qg-hnsw@ef400/test"]["pipeline"]
    assert pipeline["settings"]["transport"] == "grpc"
    assert pipeline["settings"]["server"] == f"127.0.0.1:{server.grpc_port}"
    assert pipeline["counts"]["indexed_vectors"] == pipeline["counts"]["n_vectors"] > 0
    low, high = (_metric(grpc_result, f"qg-hnsw@ef{ef}", "ANN-recall@20") for ef in (4, 400))
    assert high > 0.85 and high - low > 0.15  # the sweep reached the server's graph

    assert runner(_system(server, "qr-exact", "index: exact", grpc=False)) == 0
    rest_result = _result(runner)
    for metric in ("nDCG@10", "R@20"):  # one engine behind both transports
        assert _metric(grpc_result, "qg-exact", metric) == pytest.approx(
            _metric(rest_result, "qr-exact", metric), abs=1e-9)
    assert rest_result["details"]["retrieval/qr-exact/test"]["pipeline"]["settings"][
        "transport"] == "rest"


def test_existing_collection_over_grpc_is_only_read(server: QdrantServer, runner: Any) -> None:
    _deployed(server.url)  # production wrote it (over REST)
    before = len(server.requests)
    system = EXISTING.format(url=server.url).replace(
        "load: existing", f"grpc_port: {server.grpc_port}, load: existing")
    assert runner(system) == 0
    assert server.writes()[-1][1] == "/collections/prod_small"  # the fixture's, none after
    assert set(server.grpc_calls) <= {"Qdrant/HealthCheck", "Collections/CollectionExists",
                                      "Collections/Get", "Points/Query"}
    assert len(server.requests) - before == len(server.grpc_calls)
    result = _result(runner)
    assert _metric(result, "qe", "ANN-recall@10") > 0.95
    settings = result["details"]["retrieval/qe/test"]["pipeline"]["settings"]
    assert settings["collection_m"] == 8 and settings["transport"] == "grpc"


def test_a_wrong_key_or_a_closed_grpc_port_is_exit_4(
        server: QdrantServer, runner: Any, capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDRANT_KEY", "wrong-" + KEY)
    assert runner(_system(server, "qg", "index: exact")) == 4
    line = _one_line(capfd.readouterr().err)  # the process's stderr: gRPC's own logs too
    assert "refused the API key (gRPC UNAUTHENTICATED)" in line and KEY not in line
    assert f"127.0.0.1:{server.grpc_port}" in line
    monkeypatch.setenv("QDRANT_KEY", KEY)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    server.grpc_port = closed
    assert runner(_system(server, "qg", "index: exact")) == 4
    line = _one_line(capfd.readouterr().err)
    assert "cannot reach the gRPC port" in line and f"127.0.0.1:{closed}" in line
    assert not (runner.out / "results.json").exists()


def test_a_grpc_server_gone_mid_run_is_exit_4_and_no_results(
        runner: Any, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The gRPC front stops while the third query is in flight."""

    class Vanishing(QdrantServer):
        queries = 0

        def answer(self, method: str, path: str, body: Any) -> Any:
            if path.endswith("/points/query"):
                self.queries += 1
                if self.queries == 3:
                    self._grpc.stop(grace=None)
            return super().answer(method, path, body)

    monkeypatch.setenv("QDRANT_KEY", KEY)
    with Vanishing(api_key=KEY, grpc_port=0) as srv:
        assert runner(_system(srv, "qg", "index: exact")) == 4
        err = capfd.readouterr().err
        line = next(ln for ln in err.splitlines() if "qdrant qg" in ln and "could not" not in ln)
        assert "lost the connection mid-run" in line
    assert "Traceback" not in err
    assert not (runner.out / "results.json").exists()


@pytest.mark.parametrize(("system", "expected"), [
    ("{id: q, kind: qdrant, from: kw, grpc_port: 6334}", "grpc_port needs a server: give url:"),
    ("{id: q, kind: qdrant, from: kw, url: 'http://127.0.0.1:9/qdrant', grpc_port: 6334}",
     "gRPC takes no path prefix"),
    ("{id: q, kind: qdrant, from: kw, url: 'http://127.0.0.1:9', grpc_port: 0}", "grpc_port"),
])
def test_grpc_settings_that_cannot_work_are_one_line(
        runner: Any, capsys: pytest.CaptureFixture[str], system: str, expected: str) -> None:
    assert runner(f"  - {system}") == 2
    assert expected in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("taken_flag", ["--port", "--grpc-port"])
def test_serve_qdrant_on_a_taken_port_is_one_line(
        taken_flag: str, capfd: pytest.CaptureFixture[str]) -> None:
    from embedgate.cli.entry import main

    with socket.socket() as taken, socket.socket() as free:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        free.bind(("127.0.0.1", 0))
        ports = dict.fromkeys(("--port", "--grpc-port"), free.getsockname()[1])
        ports[taken_flag] = taken.getsockname()[1]
        other = "--grpc-port" if taken_flag == "--port" else "--port"
        free.close()  # free again: the command may bind it
        assert main(["serve-qdrant", taken_flag, str(ports[taken_flag]), other,
                     str(ports[other])]) == 2
    line = _one_line(capfd.readouterr().err)  # grpcio's own bind log would be a second line
    assert f"cannot listen on 127.0.0.1:{ports[taken_flag]}" in line
    with socket.socket() as again:  # whatever the command bound before failing, it let go
        again.bind(("127.0.0.1", ports[other]))
