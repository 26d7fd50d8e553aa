"""Serving-side wrappers of an encode function: dynamic batching and an LRU of query vectors.

Both keep the server's contract `encode(texts, role) -> (n, dim) float32` and may be called
from many request threads at once:

- `DynamicBatcher`: one worker thread owns the model; callers enqueue their texts and wait.
  The worker takes the first waiting request, then everything queued behind it, up to
  `max_batch` texts; when the batch is not full and the load says more are coming (the
  previous batch held several requests), it waits up to `max_wait_ms` after the first arrival
  for more. A lone request on an idle server is therefore encoded at once (no added latency);
  under load, batches grow with the queue. Requests of one role share an encode call; the rows
  go back to each caller in order, and an exception of the encode call is raised in each
  caller whose texts were in it.
- `QueryCache`: an LRU keyed by (role, text) holding vectors of `query` texts only, so bulk
  passage traffic never evicts hot queries; misses go to the wrapped encode in one call.

Example::

    with DynamicBatcher(embedder.encode, max_batch=64, max_wait_ms=5) as batched:
        encode = QueryCache(batched, size=10_000)
        encode(["a query"], "query")
"""
from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from embedgate.embedders.base import Role

EncodeTexts = Callable[[Sequence[str], Role], np.ndarray]


@dataclass
class _Pending:
    """One caller's texts and the slot its answer (or error) is written to."""

    texts: list[str]
    role: Role
    done: threading.Event = field(default_factory=threading.Event)
    vectors: np.ndarray | None = None
    error: BaseException | None = None


@dataclass
class BatcherStats:
    requests: int = 0
    texts: int = 0
    encode_calls: int = 0
    largest_batch: int = 0


class DynamicBatcher:
    """Coalesce concurrent encode calls into fewer, larger ones (see the module docstring)."""

    def __init__(self, encode: EncodeTexts, max_batch: int = 32, max_wait_ms: float = 5.0) -> None:
        if max_batch < 1 or max_wait_ms < 0:
            raise ValueError("max_batch must be >= 1 and max_wait_ms >= 0")
        self._encode = encode
        self.max_batch = max_batch
        self.max_wait_s = max_wait_ms / 1000.0
        self.stats = BatcherStats()
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._busy = False  # the previous batch held several requests: expect more
        self._thread = threading.Thread(target=self._work, name="embed-batcher", daemon=True)
        self._thread.start()

    def __call__(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if not self._thread.is_alive():
            raise RuntimeError("the batcher is closed")
        item = _Pending(list(texts), role)
        self._queue.put(item)
        item.done.wait()
        if item.error is not None:
            raise item.error
        assert item.vectors is not None
        return item.vectors

    def close(self) -> None:
        """Finish what is queued, then stop the worker."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def __enter__(self) -> DynamicBatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._collect(first)
            self._busy = len(batch) > 1
            for role in dict.fromkeys(p.role for p in batch):
                self._run([p for p in batch if p.role == role], role)
            if stop:
                return

    def _collect(self, first: _Pending) -> tuple[list[_Pending], bool]:
        """The first request plus those queued (or, under load, arriving) behind it."""
        batch, size = [first], len(first.texts)
        deadline = time.monotonic() + self.max_wait_s
        while size < self.max_batch:
            wait = deadline - time.monotonic() if self._busy else 0.0
            try:
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
            size += len(item.texts)
        return batch, False

    def _run(self, group: list[_Pending], role: Role) -> None:
        texts = [t for p in group for t in p.texts]
        self.stats.requests += len(group)
        self.stats.texts += len(texts)
        self.stats.encode_calls += 1
        self.stats.largest_batch = max(self.stats.largest_batch, len(texts))
        try:
            vectors = np.asarray(self._encode(texts, role), dtype=np.float32)
            start = 0
            for p in group:
                p.vectors = vectors[start:start + len(p.texts)]
                start += len(p.texts)
        except Exception as exc:  # every caller in the failed call sees the error
            for p in group:
                p.error = exc
        for p in group:
            p.done.set()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0


class QueryCache:
    """An LRU of query vectors keyed by (role, text) in front of an encode function."""

    def __init__(self, encode: EncodeTexts, size: int) -> None:
        if size < 1:
            raise ValueError("size must be >= 1")
        self._encode = encode
        self.size = size
        self.stats = CacheStats()
        self._entries: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if role != "query":
            return self._encode(texts, role)
        found = self._lookup(texts)
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            fresh = np.asarray(self._encode([texts[i] for i in missing], role), dtype=np.float32)
            for row, i in enumerate(missing):
                found[i] = fresh[row]
            self._store([texts[i] for i in missing], fresh)
        return np.stack([v for v in found if v is not None]).astype(np.float32, copy=False)

    def __len__(self) -> int:
        return len(self._entries)

    def _lookup(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        out: list[np.ndarray | None] = []
        with self._lock:
            for text in texts:
                vec = self._entries.get(("query", text))
                if vec is not None:
                    self._entries.move_to_end(("query", text))
                out.append(vec)
            self.stats.hits += sum(v is not None for v in out)
            self.stats.misses += sum(v is None for v in out)
        return out

    def _store(self, texts: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            for text, vec in zip(texts, vectors, strict=True):
                self._entries[("query", text)] = vec.copy()  # a view would pin the whole batch
                self._entries.move_to_end(("query", text))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
                self.stats.evictions += 1


@dataclass(frozen=True)
class Serving:
    """How `serve-openai` wraps the model: batching when `max_batch` > 1, an LRU when
    `cache_size` > 0; the defaults keep the plain, locked, one-request-one-encode path."""

    max_batch: int = 1
    max_wait_ms: float = 5.0
    cache_size: int = 0

    def wrap(self, encode: EncodeTexts) -> Chain:
        batcher = DynamicBatcher(encode, self.max_batch, self.max_wait_ms) \
            if self.max_batch > 1 else None
        inner: EncodeTexts = batcher if batcher is not None else encode
        cache = QueryCache(inner, self.cache_size) if self.cache_size > 0 else None
        return Chain(cache if cache is not None else inner, batcher, cache)


@dataclass(frozen=True)
class Chain:
    """The wrapped encode and its parts (their stats are what a load test reports)."""

    encode: EncodeTexts
    batcher: DynamicBatcher | None
    cache: QueryCache | None

    def describe(self) -> str:
        parts = [f"dynamic batching up to {self.batcher.max_batch} texts / "
                 f"{self.batcher.max_wait_s * 1000:g} ms"] if self.batcher else []
        parts += [f"query LRU of {self.cache.size}"] if self.cache else []
        return f" with {' and '.join(parts)}" if parts else ""

    def close(self) -> None:
        if self.batcher is not None:
            self.batcher.close()
