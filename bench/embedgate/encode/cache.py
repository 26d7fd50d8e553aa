"""Content-keyed embedding cache on disk, shared by every tier and every run.

Key: the embedder's fingerprint (everything that changes its vectors: weights hash, kind,
backend, precision, dim, max_seq_length, pooling, normalisation, the prefix of the role) plus
the sha256 of the text. Value: the float32 vector and a CRC32 over key and bytes.

Storage is one SQLite database in WAL mode: two runs can share it (SQLite serialises writers,
readers never block), and every `put_many` is one committed transaction, so a run killed with
SIGKILL keeps every batch it finished (WAL with synchronous=NORMAL survives a killed process;
only a power cut may lose the last commits, never corrupt the file). SQLite needs a local
filesystem (not NFS).

Failures never stop a run: an unreadable, unwritable or full cache disables itself with one
warning line, and a corrupted entry is discarded and reported so the caller recomputes it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.embedders.base import EmbedderInfo, Role
from embedgate.encode.locations import DB_NAME
from embedgate.infra.sqlite_wal import enable_wal

log = logging.getLogger("embedgate")

_LOOKUP_CHUNK = 500  # keys per SELECT ... IN (...): well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embedders (
    fingerprint TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    first_used REAL NOT NULL,
    last_used REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    fingerprint TEXT NOT NULL,
    text_sha256 BLOB NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    crc32 INTEGER NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (fingerprint, text_sha256)
);
CREATE INDEX IF NOT EXISTS embeddings_created ON embeddings (created);
"""


def fingerprint_fields(info: EmbedderInfo, role: Role) -> dict[str, Any]:
    """Everything about an embedder that changes the vector of a given text.

    An embedder can add output-changing settings of its own under ``info.extra["cache_salt"]``.
    Batch sizes, thread counts and ids are left out: they do not change the vectors.
    """
    return {"kind": info.kind, "backend": info.backend, "precision": info.precision,
            "dim": info.dim, "max_seq_length": info.max_seq_length,
            "weights_sha256": info.weights_sha256, "pooling": info.pooling,
            "normalize": info.normalize,
            "prefix": info.query_prefix if role == "query" else info.passage_prefix,
            "salt": info.extra.get("cache_salt")}


def fingerprint(info: EmbedderInfo, role: Role) -> str:
    """A short stable hex id of `fingerprint_fields` (32 hex chars)."""
    blob = json.dumps(fingerprint_fields(info, role), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _crc(fp: str, key: bytes, blob: bytes) -> int:
    return zlib.crc32(blob, zlib.crc32(key, zlib.crc32(fp.encode())))


@dataclass(frozen=True)
class EmbedderEntry:
    fingerprint: str
    description: dict[str, Any]
    entries: int
    bytes: int
    last_used: float


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    file_bytes: int
    entries: int
    embedders: list[EmbedderEntry]


class EmbeddingCache:
    """One SQLite file of vectors; see the module docstring for the guarantees.

    >>> cache = EmbeddingCache.open(Path(tmp))          # doctest: +SKIP
    >>> cache.put_many(fp, [text_key("hi")], vecs)      # doctest: +SKIP
    >>> cache.get_many(fp, [text_key("hi")])            # doctest: +SKIP
    """

    def __init__(self, directory: Path, conn: sqlite3.Connection) -> None:
        self.directory = directory
        self.path = directory / DB_NAME
        self._conn = conn
        self.enabled = True
        self.corrupted = 0

    @classmethod
    def open(cls, directory: Path) -> EmbeddingCache | None:
        """Open (creating) the cache in `directory`; None with one warning when impossible."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(directory / DB_NAME, timeout=60.0, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=60000")
            # Vectors are 1.5-4 KiB: with the default 4 KiB pages most rows would sit alone in
            # a page (2x the disk); 16 KiB pages pack them. Only takes effect on a new file.
            conn.execute("PRAGMA page_size=16384")
            enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            log.warning("embedding cache at %s is unusable (%s); running without a cache",
                        directory, _why(exc))
            return None
        return cls(directory, conn)

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass

    def _disable(self, exc: BaseException) -> None:
        if self.enabled:
            log.warning("embedding cache at %s failed (%s); continuing without a cache",
                        self.directory, _why(exc))
        self.enabled = False

    def register(self, fp: str, description: dict[str, Any]) -> None:
        """Remember what a fingerprint stands for (for `embedgate cache info`) and its use."""
        if not self.enabled:
            return
        now = time.time()
        try:
            self._conn.execute(
                "INSERT INTO embedders VALUES (?, ?, ?, ?) ON CONFLICT(fingerprint) "
                "DO UPDATE SET last_used = excluded.last_used",
                (fp, json.dumps(description, sort_keys=True, ensure_ascii=False), now, now))
        except sqlite3.Error as exc:
            self._disable(exc)

    def get_many(self, fp: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """Vectors found for `keys`; a corrupted entry is deleted, warned about and left out."""
        found: dict[bytes, np.ndarray] = {}
        if not self.enabled:
            return found
        try:
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = list(keys[start:start + _LOOKUP_CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT text_sha256, dim, vector, crc32 FROM embeddings "
                    f"WHERE fingerprint = ? AND text_sha256 IN ({marks})", [fp, *chunk]).fetchall()
                for key, dim, blob, crc in rows:
                    vec = self._checked(fp, bytes(key), int(dim), bytes(blob), int(crc))
                    if vec is not None:
                        found[bytes(key)] = vec
        except sqlite3.Error as exc:
            self._disable(exc)
            return {}
        return found

    def _checked(self, fp: str, key: bytes, dim: int, blob: bytes, crc: int) -> np.ndarray | None:
        if len(blob) == dim * 4 and _crc(fp, key, blob) == crc:
            return np.frombuffer(blob, dtype="<f4")
        self.corrupted += 1
        log.warning("embedding cache: corrupted entry (embedder %s, text sha256 %s…) discarded; "
                    "recomputing it", fp[:12], key.hex()[:12])
        self._conn.execute("DELETE FROM embeddings WHERE fingerprint = ? AND text_sha256 = ?",
                           (fp, key))
        return None

    def put_many(self, fp: str, keys: Sequence[bytes], vectors: np.ndarray) -> bool:
        """Store rows of `vectors` under `keys` in one durable transaction; False if disabled."""
        if not self.enabled:
            return False
        now = time.time()
        vecs = np.ascontiguousarray(vectors, dtype="<f4")
        rows = [(fp, k, vecs.shape[1], v.tobytes(), _crc(fp, k, v.tobytes()), now)
                for k, v in zip(keys, vecs)]
        try:
            with self._conn:  # BEGIN … COMMIT; a kill before COMMIT leaves no partial batch
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?, ?, ?, ?)",
                                       rows)
        except sqlite3.Error as exc:
            self._disable(exc)
            return False
        return True

    def info(self) -> CacheInfo:
        """Entries and bytes per fingerprint, with what each fingerprint stands for."""
        rows = self._conn.execute(
            "SELECT e.fingerprint, COALESCE(m.description, '{}'), COUNT(*), SUM(LENGTH(e.vector)),"
            " COALESCE(m.last_used, MAX(e.created)) FROM embeddings e LEFT JOIN embedders m"
            " ON m.fingerprint = e.fingerprint GROUP BY e.fingerprint ORDER BY 5 DESC").fetchall()
        embedders = [EmbedderEntry(fp, json.loads(desc), int(n), int(size or 0), float(used))
                     for fp, desc, n, size, used in rows]
        size = sum(p.stat().st_size for p in self.directory.glob(DB_NAME + "*") if p.is_file())
        return CacheInfo(self.path, size, sum(e.entries for e in embedders), embedders)

    def prune(self, older_than_days: float | None = None, fingerprints: Iterable[str] = (),
              everything: bool = False) -> int:
        """Delete entries written before a cut-off, of given fingerprints (prefixes), or all."""
        removed = 0
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            if everything:
                removed += self._conn.execute("DELETE FROM embeddings").rowcount
                self._conn.execute("DELETE FROM embedders")
            if older_than_days is not None:
                cutoff = time.time() - older_than_days * 86400
                removed += self._conn.execute("DELETE FROM embeddings WHERE created < ?",
                                              (cutoff,)).rowcount
            for fp in fingerprints:
                removed += self._conn.execute("DELETE FROM embeddings WHERE fingerprint LIKE ?",
                                              (fp + "%",)).rowcount
                self._conn.execute("DELETE FROM embedders WHERE fingerprint LIKE ?", (fp + "%",))
            self._conn.execute("DELETE FROM embedders WHERE fingerprint NOT IN "
                               "(SELECT DISTINCT fingerprint FROM embeddings)")
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.execute("VACUUM")  # give the space back to the filesystem
        return removed


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
