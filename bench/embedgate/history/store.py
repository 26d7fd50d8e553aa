"""The run store: an SQLite file by default, PostgreSQL when a DSN is in the environment.

Guarantees (both backends): every append is one transaction (a killed run leaves no half row);
concurrent appends from several CI jobs are safe (SQLite in WAL mode serialises writers with a
busy timeout; PostgreSQL takes a row-level insert); a store written by a newer embedgate, a
file that is not a store, or one locked past the timeout is one line: InputError (exit 2) for
the first two, InfraError (exit 4) for the lock. The DSN is read from the environment only
(`EMBEDGATE_HISTORY_DSN`) and never printed or written.

Example::

    with open_store(Path("reports/history.sqlite")) as store:
        store.append(from_result(result, "reports/q/results.json"))
        store.runs("quickstart", limit=20)
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from embedgate.history.record import RunRecord
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.sqlite_wal import enable_wal

SCHEMA_VERSION = 1
DSN_ENV = "EMBEDGATE_HISTORY_DSN"
_COLUMNS = "run_id, suite, created_at, git_sha, verdict, source, payload"
_TABLES = (
    "CREATE TABLE IF NOT EXISTS embedgate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS embedgate_runs (seq {serial}, run_id TEXT NOT NULL UNIQUE, "
    "suite TEXT NOT NULL, created_at TEXT NOT NULL, git_sha TEXT, verdict TEXT, "
    "source TEXT NOT NULL, payload TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS embedgate_pins (suite TEXT PRIMARY KEY, run_id TEXT NOT NULL)",
)


class RunStore:
    """One connection to a store; `mark` is the backend's parameter placeholder."""

    def __init__(self, conn: Any, mark: str, where: str) -> None:
        self._conn = conn
        self._mark = mark
        self.where = where

    def _sql(self, text: str) -> str:
        return text.replace("?", self._mark)

    def append(self, record: RunRecord) -> bool:
        """Add one run in one transaction; False when that run is already stored."""
        row = (record.run_id, record.suite, record.created_at, record.git_sha, record.verdict,
               record.source, json.dumps(record.payload, separators=(",", ":")))
        with self._transaction() as cur:
            cur.execute(self._sql("SELECT 1 FROM embedgate_runs WHERE run_id = ?"), (record.run_id,))
            if cur.fetchone() is not None:
                return False
            cur.execute(self._sql(f"INSERT INTO embedgate_runs ({_COLUMNS}) VALUES "
                                  "(?, ?, ?, ?, ?, ?, ?)"), row)
        return True

    def runs(self, suite: str, limit: int = 20) -> list[RunRecord]:
        """The suite's last `limit` runs, oldest first."""
        rows = self._query(f"SELECT {_COLUMNS} FROM embedgate_runs WHERE suite = ? "
                           "ORDER BY seq DESC LIMIT ?", (suite, limit))
        return [_record(r) for r in reversed(rows)]

    def get(self, run_id: str) -> RunRecord | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM embedgate_runs WHERE run_id = ?", (run_id,))
        return _record(rows[0]) if rows else None

    def pin(self, suite: str, run_id: str) -> None:
        """Make `run_id` the suite's drift reference."""
        if self.get(run_id) is None:
            raise InputError(f"{self.where}: no run {run_id!r} in the history store; see "
                             "`embedgate history SUITE` for the run ids")
        with self._transaction() as cur:
            cur.execute(self._sql("DELETE FROM embedgate_pins WHERE suite = ?"), (suite,))
            cur.execute(self._sql("INSERT INTO embedgate_pins VALUES (?, ?)"), (suite, run_id))

    def pinned(self, suite: str) -> RunRecord | None:
        rows = self._query("SELECT run_id FROM embedgate_pins WHERE suite = ?", (suite,))
        return self.get(rows[0][0]) if rows else None

    def close(self) -> None:
        self._conn.close()

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._transaction() as cur:
            cur.execute(self._sql(sql), params)
            return list(cur.fetchall())

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        try:
            with _begin(self._conn) as cur:
                yield cur
        except sqlite3.DatabaseError as exc:
            raise _sqlite_error(exc, self.where) from None


@contextmanager
def _begin(conn: Any) -> Iterator[Any]:
    if isinstance(conn, sqlite3.Connection):
        conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock later
        try:
            yield conn.cursor()
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        return
    with conn.transaction(), conn.cursor() as cur:
        yield cur


def _record(row: tuple[Any, ...]) -> RunRecord:
    run_id, suite, created, sha, verdict, source, payload = row
    return RunRecord(run_id, suite, created, sha, verdict, source, json.loads(payload))


def _sqlite_error(exc: sqlite3.Error, where: str) -> Exception:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return InfraError(f"{where}: the history store is locked by another job (waited for the "
                          "busy timeout); retry, or give each job its own store")
    return InputError(f"{where}: not a usable history store ({text}); move it aside and "
                      "re-import the results files with `embedgate history import`")


@contextmanager
def open_store(path: Path | None = None, timeout_s: float = 30.0) -> Iterator[RunStore]:
    """The PostgreSQL store when EMBEDGATE_HISTORY_DSN is set and no path is given, else the
    SQLite file at `path` (created with its folder)."""
    dsn = os.environ.get(DSN_ENV)
    store = _postgres(dsn) if dsn and path is None else _sqlite(path or default_path(), timeout_s)
    try:
        yield store
    finally:
        store.close()


def default_path() -> Path:
    return Path("reports") / "history.sqlite"


def _sqlite(path: Path, timeout_s: float) -> RunStore:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        enable_wal(conn, timeout_s)
        conn.execute("PRAGMA synchronous=NORMAL")
    except OSError as exc:
        raise InfraError(f"{path}: cannot open the history store ({exc.strerror})") from None
    except sqlite3.Error as exc:
        raise _sqlite_error(exc, str(path)) from None
    store = RunStore(conn, "?", str(path))
    _create(store, "INTEGER PRIMARY KEY AUTOINCREMENT")
    return store


def _postgres(dsn: str) -> RunStore:
    import psycopg

    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    except psycopg.Error:
        # The DSN may hold a password: say which variable, never its value.
        raise InfraError(f"cannot connect to the PostgreSQL history store named by ${DSN_ENV}; "
                         "check the server and the DSN") from None
    store = RunStore(conn, "%s", f"${DSN_ENV}")
    _create(store, "BIGSERIAL PRIMARY KEY")
    return store


def _create(store: RunStore, serial: str) -> None:
    """Tables on first use, then refuse a store of a newer schema."""
    with store._transaction() as cur:
        if store._mark == "%s":  # concurrent CREATE TABLE IF NOT EXISTS races in PostgreSQL
            cur.execute("SELECT pg_advisory_xact_lock(5172026)")
        for sql in _TABLES:
            cur.execute(sql.format(serial=serial))
        cur.execute("SELECT value FROM embedgate_meta WHERE key = 'schema_version'")
        found = cur.fetchone()
        if found is None:
            cur.execute(store._sql("INSERT INTO embedgate_meta VALUES ('schema_version', ?)"),
                        (str(SCHEMA_VERSION),))
        elif int(found[0]) > SCHEMA_VERSION:
            raise InputError(f"{store.where}: the history store has schema {found[0]}, newer "
                             f"than this embedgate's {SCHEMA_VERSION}; upgrade embedgate")
