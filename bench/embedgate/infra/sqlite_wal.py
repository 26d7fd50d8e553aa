"""Switch a SQLite connection to WAL mode while other processes open the same new file.

While a database is still in rollback mode and another process holds a lock on it, the switch
needs the exclusive lock, and SQLite answers "database is locked" at once instead of calling the
busy handler (waiting there could deadlock two processes that both escalate). Every store that
several jobs may create at the same moment (the embedding cache, the history store, the
reader's generation cache) opens through here.
"""
from __future__ import annotations

import sqlite3
import time


def enable_wal(conn: sqlite3.Connection, timeout_s: float = 60.0) -> None:
    """Set journal_mode=WAL, retrying "database is locked" for up to `timeout_s` seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
