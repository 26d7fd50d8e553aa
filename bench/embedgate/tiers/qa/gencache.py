"""Generation cache: reader answers on disk, keyed by (reader fingerprint, prompt incl. passages).

SQLite gives atomic commits and safe sharing between concurrent runs (WAL journal) with the
standard library only. The file follows the embedding cache's folder rules: under
``$EMBEDGATE_CACHE_DIR`` when set, else the suite's ``cache.dir``, else the user cache
directory (``platformdirs.user_cache_dir("embedgate")``); the suite's ``cache.enabled: false``
keeps answers in memory only. A cache that cannot be opened or written degrades to memory only
with one warning: a cache must never fail a run.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from pathlib import Path

from embedgate.infra.sqlite_wal import enable_wal
from embedgate.suite import LoadedSuite

log = logging.getLogger("embedgate")

ENV_DIR = "EMBEDGATE_CACHE_DIR"
FILE_NAME = "generations.sqlite"


def default_cache_dir() -> Path:
    override = os.environ.get(ENV_DIR, "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("embedgate"))


def cache_file(loaded: LoadedSuite) -> Path | None:
    """The generation cache file a suite asks for; None when the suite turns caching off."""
    root = loaded.cache_root()
    return None if root is None else root / FILE_NAME


def cache_key(fingerprint: str, prompt: object) -> str:
    """sha256 over the reader fingerprint and the full prompt (messages hold the passages)."""
    blob = json.dumps([fingerprint, prompt], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class GenerationCache:
    """A thread-safe key → answer store: always in memory, on disk when `path` is usable."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.hits = 0
        self.misses = 0
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = self._open(path)

    @classmethod
    def default(cls) -> GenerationCache:
        return cls(default_cache_dir() / FILE_NAME)

    def _open(self, path: Path) -> sqlite3.Connection | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            enable_wal(db, 30.0)
            db.execute("CREATE TABLE IF NOT EXISTS generations "
                       "(key TEXT PRIMARY KEY, reader TEXT NOT NULL, answer TEXT NOT NULL)")
            db.commit()
            return db
        except (OSError, sqlite3.Error) as exc:
            log.warning("generation cache %s unusable (%s); answers are kept in memory only",
                        path, exc)
            return None

    def get(self, key: str) -> str | None:
        with self._lock:
            answer = self._memory.get(key)
            if answer is None and self._db is not None:
                answer = self._read(key)
            if answer is None:
                self.misses += 1
            else:
                self.hits += 1
                self._memory[key] = answer
            return answer

    def put(self, key: str, reader: str, answer: str) -> None:
        with self._lock:
            self._memory[key] = answer
            if self._db is None:
                return
            try:
                with self._db:  # one transaction: committed whole or not at all
                    self._db.execute("INSERT OR REPLACE INTO generations VALUES (?, ?, ?)",
                                     (key, reader, answer))
            except sqlite3.Error as exc:
                log.warning("generation cache %s: write failed (%s); continuing in memory",
                            self.path, exc)
                self._db = None

    def _read(self, key: str) -> str | None:
        assert self._db is not None
        try:
            row = self._db.execute("SELECT answer FROM generations WHERE key = ?",
                                   (key,)).fetchone()
        except sqlite3.Error as exc:
            log.warning("generation cache %s: read failed (%s); continuing in memory",
                        self.path, exc)
            self._db = None
            return None
        return None if row is None else str(row[0])

    def stats(self) -> dict[str, object]:
        return {"path": str(self.path) if self._db is not None else None,
                "hits": self.hits, "misses": self.misses}
