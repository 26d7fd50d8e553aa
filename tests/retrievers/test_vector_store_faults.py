"""pgvector faults and read-only mode against the real embedded PostgreSQL: unreachable server
and wrong credentials (exit 4, one line naming the host, never the password), a taken table
name (exit 2, the table untouched, unless `replace: true`), a column of another dimension
(exit 2, before anything), a connection dropped mid-run (exit 4, no results file), and
`load: existing` reading a deployed table as a role that may not write, in a read-only
session."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from embedgate.cli.entry import main

from tests.conftest import FIXTURES, install_example_plugin

SECRET = "s3cret-Pa55"


def _suite(system: str) -> str:
    return f"""name: vector-store-faults
seed: 13
embedders:
  - {{id: kw, kind: char-ngram}}
  - {system}
datasets:
  - {{id: test, path: {FIXTURES / 'domain'}, split: test}}
tiers:
  retrieval: {{datasets: [test], metrics: [nDCG@10], top_k: 20, embedders: [kw, pg]}}
"""


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    install_example_plugin(tmp_path / "site", monkeypatch)

    def run(system: str) -> int:
        (tmp_path / "suite.yaml").write_text(_suite(system), encoding="utf-8")
        return main(["run", str(tmp_path / "suite.yaml"), "--out", str(tmp_path / "out"),
                     "--no-cache", "-q"])

    run.out = tmp_path / "out"  # type: ignore[attr-defined]
    return run


def _one_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if "Warning" not in ln
             and "return Path" not in ln]
    assert len(lines) == 1, err
    return lines[0]


def test_unreachable_server_is_exit_4_naming_the_host_not_the_password(
        runner: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PG_TEAM_DSN", f"postgresql://bob:{SECRET}@127.0.0.1:1/prod")
    assert runner("{id: pg, kind: pgvector, from: kw, dsn_env: PG_TEAM_DSN}") == 4
    line = _one_line(capsys.readouterr().err)
    assert "127.0.0.1:1/prod" in line and SECRET not in line
    assert not (runner.out / "results.json").exists()


def test_wrong_credentials_are_exit_4_without_the_password(
        runner: Any, pg_dsn: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    params = {**conninfo_to_dict(pg_dsn), "user": "nobody", "password": SECRET}
    monkeypatch.setenv("PG_TEAM_DSN", make_conninfo(**params))
    assert runner("{id: pg, kind: pgvector, from: kw, dsn_env: PG_TEAM_DSN}") == 4
    line = _one_line(capsys.readouterr().err)
    assert "as nobody" in line and 'role "nobody" does not exist' in line
    assert SECRET not in line


def test_a_taken_table_name_is_refused_unless_replace(
        runner: Any, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]) -> None:
    admin.execute("CREATE TABLE team_docs (id int PRIMARY KEY, note text)")
    admin.execute("INSERT INTO team_docs VALUES (1, 'keep me')")
    try:
        assert runner("{id: pg, kind: pgvector, from: kw, dsn: embedded, table: team_docs}") == 2
        line = _one_line(capsys.readouterr().err)
        assert 'table "team_docs" already exists' in line and "replace: true" in line
        assert admin.execute("SELECT note FROM team_docs").fetchall() == [("keep me",)]
        assert runner("{id: pg, kind: pgvector, from: kw, dsn: embedded, table: team_docs, "
                      "replace: true}") == 0
        gone = admin.execute("SELECT to_regclass('team_docs') IS NULL").fetchone()
        assert gone == (True,)  # replaced, then dropped like any table the run created
    finally:
        admin.execute("DROP TABLE IF EXISTS team_docs")


@pytest.fixture
def deployed(deploy: Any, admin: psycopg.Connection) -> Iterator[str]:
    """A table production wrote (conftest's `deploy`) and one of another dimension, both
    readable by a role that may only read; yields that role's DSN."""
    dsn = deploy("prod_docs")
    admin.execute("CREATE TABLE prod_small (doc_id text, emb vector(3))")
    admin.execute("GRANT SELECT ON prod_small TO reader")
    try:
        yield dsn
    finally:
        admin.execute("DROP TABLE IF EXISTS prod_small")


def test_existing_table_is_read_only_and_judged_against_its_exact_scan(
        runner: Any, deployed: str, admin: psycopg.Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_READER_DSN", deployed)
    before = admin.execute("SELECT count(*), sum(length(emb::text)) FROM prod_docs").fetchone()
    tables = admin.execute("SELECT count(*) FROM pg_tables").fetchone()
    assert runner("{id: pg, kind: pgvector, from: kw, dsn_env: PG_READER_DSN, load: existing, "
                  "table: prod_docs, id_column: doc_id, vector_column: emb, index: hnsw, "
                  "ef_search: [100]}") == 0
    result = json.loads((runner.out / "results.json").read_text(encoding="utf-8"))
    ndcg = {r["embedder"]: r["value"] for r in result["metrics"] if r["metric"] == "nDCG@10"}
    pipeline = result["details"]["retrieval/pg/test"]["pipeline"]
    # the deployed vectors are the model's, so the database's exact scan is faiss exact
    assert pipeline["inputs"]["pg:exact-scan"]["nDCG@10"] == pytest.approx(ndcg["kw"], abs=1e-4)
    assert pipeline["settings"]["load"] == "existing"
    assert admin.execute("SELECT count(*), sum(length(emb::text)) FROM prod_docs"
                         ).fetchone() == before
    assert admin.execute("SELECT count(*) FROM pg_tables").fetchone() == tables
    assert "reader" not in json.dumps(result)  # the role (part of the DSN) stays out


def test_a_column_of_another_dimension_is_exit_2(
        runner: Any, deployed: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PG_READER_DSN", deployed)
    assert runner("{id: pg, kind: pgvector, from: kw, dsn_env: PG_READER_DSN, load: existing, "
                  "table: prod_small, id_column: doc_id, vector_column: emb}") == 2
    line = _one_line(capsys.readouterr().err)
    assert "holds 3-d vectors" in line and "256-d" in line


def test_a_connection_dropped_mid_run_is_exit_4_and_no_results(
        runner: Any, admin: psycopg.Connection, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The server really terminates the system's backend after its third query (the timing is
    the only thing injected)."""
    from embedgate.retrievers import pg_sql

    real = pg_sql.searcher

    def dropping(conn: Any, layout: Any, doc_rows: Any = None) -> Any:
        search, calls = real(conn, layout, doc_rows), [0]

        def once(vec: Any, k: int) -> Any:
            calls[0] += 1
            if calls[0] == 3:
                admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
            return search(vec, k)
        return once

    monkeypatch.setattr(pg_sql, "searcher", dropping)
    assert runner("{id: pg, kind: pgvector, from: kw, dsn: embedded}") == 4
    line = _one_line(capsys.readouterr().err)
    assert "lost the connection" in line
    assert not (runner.out / "results.json").exists()
    left = admin.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'embedgate_%'"
                         ).fetchone()
    assert left == (1,)  # the connection that owned it is gone; the warning names it
    admin.execute("DO $$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables "
                  "WHERE tablename LIKE 'embedgate_%' LOOP EXECUTE 'DROP TABLE ' || t; "
                  "END LOOP; END $$")


def test_bad_specs_fail_at_load_with_file_and_line(
        runner: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert runner("{id: pg, kind: pgvector, from: kw, dsn: embedded, dsn_env: X}") == 2
    assert "exactly one of dsn: embedded" in _one_line(capsys.readouterr().err)
    assert runner("{id: pg, kind: pgvector, from: kw, dsn: embedded, load: existing}") == 2
    assert "load: existing needs table:" in _one_line(capsys.readouterr().err)


def test_a_terminated_run_stops_its_embedded_server(tmp_path: Path) -> None:
    """SIGTERM (a CI timeout) still stops the server and removes its folder."""
    import os
    import signal
    import subprocess
    import sys
    import time

    code = ("from embedgate.retrievers.pg_server import embedded_dsn, _EMBEDDED\n"
            "import time\nembedded_dsn()\n"
            "print(_EMBEDDED['server'].get_pid(), _EMBEDDED['dir'], flush=True)\n"
            "time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.stdout is not None
    pid, folder = proc.stdout.readline().split()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    deadline = time.time() + 30
    while time.time() < deadline and _alive(int(pid)):
        time.sleep(0.2)
    assert not _alive(int(pid)) and not Path(folder).exists()


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
