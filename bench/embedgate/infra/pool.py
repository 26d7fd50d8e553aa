"""Resources built once and shared by the systems of one sweep, then closed.

A sweep over a search-time setting (`ef_search: [10, 40, 100]`) runs as one system per value,
but every value searches the same index: the first builds it (a table and its HNSW graph, a
Qdrant shard or collection), the others reuse it, and it is closed when the runner has judged
the sweep's last value (`release`) or the run ends, failed or not (`close`). The key says what
was built (settings, vectors, corpus), so a variant whose build differs never reuses it.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger("embedgate")
T = TypeVar("T")


@dataclass
class _Entry:
    owner: str
    handle: Any
    close: Callable[[Any], None]


class ResourcePool:
    """Handles by key, each with its owner (a sweep's declared id) and how to close it."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.reused = 0  # how many gets found their handle built (for tests and logs)

    def get(self, owner: str, key: str, build: Callable[[], T],
            close: Callable[[T], None]) -> T:
        """The handle built under `key`, building it now if none is (a failed build leaves
        nothing behind: `build` cleans up after itself)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self.reused += 1
                return entry.handle  # type: ignore[no-any-return]
        handle = build()
        with self._lock:
            self._entries[key] = _Entry(owner, handle, close)
        return handle

    def release(self, owner: str) -> None:
        """Close every handle of `owner` (its sweep's last value has been judged)."""
        with self._lock:
            keys = [k for k, e in self._entries.items() if e.owner == owner]
            entries = [self._entries.pop(k) for k in keys]
        for entry in entries:
            _close_quietly(entry)

    def close(self) -> None:
        """Close everything still open (the end of a run, or its failure)."""
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            _close_quietly(entry)


def _close_quietly(entry: _Entry) -> None:
    try:
        entry.close(entry.handle)
    except Exception as exc:  # closing must not mask the run's own outcome; say what is left
        log.warning("could not release a shared index of %s: %s", entry.owner, exc)


@contextmanager
def shared(pool: ResourcePool | None, owner: str, key: str, build: Callable[[], T],
           close: Callable[[T], None]) -> Iterator[T]:
    """The pooled handle, or (without a pool) one built for this use and closed after it."""
    if pool is not None:
        yield pool.get(owner, key, build, close)
        return
    handle = build()
    try:
        yield handle
    finally:
        close(handle)
