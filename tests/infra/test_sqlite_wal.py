"""enable_wal under another process's rollback-mode writer, and the stores that open through it.

Two jobs creating one SQLite file at once: the first still writes in rollback mode (a RESERVED
lock) when the second asks for WAL, which needs the exclusive lock; SQLite answers "database is
locked" at once there instead of calling its busy handler. CI hit it in the embedding cache's
two-writer test and in the history store; a loop of 8 processes x 80 new files failed 2 of 640
openings before the retry.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from embedgate.encode.cache import EmbeddingCache
from embedgate.encode.locations import DB_NAME
from embedgate.infra.sqlite_wal import enable_wal
from embedgate.tiers.qa.gencache import GenerationCache


@contextmanager
def _rollback_writer(path: Path, hold_s: float | None) -> Iterator[None]:
    """A writer holding a RESERVED lock on a rollback-mode file, released after `hold_s`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE first_job (a)")
    done = threading.Timer(hold_s, writer.commit) if hold_s is not None else None
    if done is not None:
        done.start()
    try:
        yield
    finally:
        if done is not None:
            done.join()
        else:
            writer.rollback()
        writer.close()


def _mode(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def test_plain_switch_fails_at_once_without_the_retry(tmp_path: Path) -> None:
    """The failure the helper exists for: reproduce it, so the tests below mean something."""
    path = tmp_path / "x.sqlite"
    with _rollback_writer(path, None):
        conn = sqlite3.connect(path, timeout=5.0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            conn.execute("PRAGMA journal_mode=WAL")
        conn.close()


def test_enable_wal_waits_out_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    with _rollback_writer(path, 0.5):
        conn = sqlite3.connect(path, timeout=5.0)
        enable_wal(conn, timeout_s=10)
        conn.close()
    assert _mode(path) == "wal"


def test_enable_wal_gives_up_after_its_timeout(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    with _rollback_writer(path, None):
        conn = sqlite3.connect(path, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            enable_wal(conn, timeout_s=0.3)
        conn.close()


def test_embedding_cache_opens_while_another_job_creates_it(tmp_path: Path) -> None:
    with _rollback_writer(tmp_path / "cache" / DB_NAME, 0.5):
        cache = EmbeddingCache.open(tmp_path / "cache")
    assert cache is not None  # before the retry: None, "running without a cache"
    cache.close()
    assert _mode(tmp_path / "cache" / DB_NAME) == "wal"


def test_generation_cache_opens_while_another_job_creates_it(tmp_path: Path) -> None:
    path = tmp_path / "gen.sqlite"
    with _rollback_writer(path, 0.5):
        cache = GenerationCache(path)
    assert cache._db is not None  # before the retry: memory only
    assert _mode(path) == "wal"
