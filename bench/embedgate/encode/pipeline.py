"""The run's encode pipeline: dedupe → cache lookup → encode misses in chunks → one array.

`RunContext.encode` calls an `EncodePipeline`; tiers never see any of this. For each call:
1. texts are keyed by sha256; a text repeated in the input is encoded once;
2. cached vectors (same embedder fingerprint and role prefix) are read from the cache;
3. the rest are sorted by length and encoded `commit_every` texts at a time (locally or on Ray
   workers); each finished chunk is committed to the cache before the next result is taken,
   so a killed run loses at most the chunks in flight;
4. rows land in an in-memory array, or in a memmap under the scratch dir when the output is
   larger than `memmap_min_mib`, so corpora larger than memory stream to disk.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from embedgate.encode.cache import EmbeddingCache, fingerprint, fingerprint_fields, text_key
from embedgate.embedders.base import Embedder, Role
from embedgate.infra.errors import InfraError
from embedgate.results.schema import TierResult

log = logging.getLogger("embedgate")

Chunk = list[int]  # indices into the texts of one encode call


class ChunkRunner(Protocol):
    """Encodes chunks of texts, yielding each chunk with its vectors as soon as it is done."""

    def run(self, embedder: Embedder, role: Role, texts: Sequence[str],
            chunks: list[Chunk]) -> Iterator[tuple[Chunk, np.ndarray]]: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


class LocalRunner:
    """Chunks one after another in this process."""

    def run(self, embedder: Embedder, role: Role, texts: Sequence[str],
            chunks: list[Chunk]) -> Iterator[tuple[Chunk, np.ndarray]]:
        for chunk in chunks:
            yield chunk, embedder.encode([texts[i] for i in chunk], role)

    def describe(self) -> str:
        return "this process"

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class EncodeOptions:
    """How a run encodes; built from the suite, the environment and the CLI (see runner)."""

    cache_dir: Path | None = None  # None: no persistent cache
    commit_every: int = 2048
    memmap_min_mib: float = 1024.0
    scratch_dir: Path | None = None  # None: the system temp dir
    cache_off_reason: str = ""


@dataclass
class EncodeStats:
    """Counters of one pipeline; `minus` gives what happened between two snapshots."""

    calls: int = 0
    texts: int = 0
    duplicates: int = 0
    cache_hits: int = 0
    computed: int = 0
    corrupted: int = 0
    memmap_calls: int = 0

    def minus(self, other: EncodeStats) -> EncodeStats:
        return EncodeStats(**{k: v - getattr(other, k) for k, v in asdict(self).items()})

    def copy(self) -> EncodeStats:
        return EncodeStats(**asdict(self))


@dataclass
class EncodePipeline:
    """Callable as `RunContext.encode_fn(embedder, texts, role)`."""

    options: EncodeOptions = field(default_factory=EncodeOptions)
    cache: EmbeddingCache | None = None
    runner: ChunkRunner = field(default_factory=LocalRunner)
    stats: EncodeStats = field(default_factory=EncodeStats)
    _mark: EncodeStats = field(default_factory=EncodeStats)
    _scratch: Path | None = None

    @classmethod
    def create(cls, options: EncodeOptions, runner: ChunkRunner | None = None) -> EncodePipeline:
        cache = EmbeddingCache.open(options.cache_dir) if options.cache_dir else None
        return cls(options=options, cache=cache, runner=runner or LocalRunner())

    def __call__(self, embedder: Embedder, texts: Sequence[str], role: Role) -> np.ndarray:
        instructs = getattr(embedder, "instructs", None)
        if instructs is not None:  # a dataset's query instruction: part of each text's key
            return self(instructs[0], embedder.texts(texts, role), role)  # type: ignore[attr-defined]
        source = getattr(embedder, "derived_from", None)
        if source is not None:  # a view (kind truncate): its source's vectors, via the cache
            return _checked(embedder.derive(self(source, texts, role)),  # type: ignore[attr-defined]
                            len(texts), embedder.info.dim, embedder.info.id)
        texts = list(texts)
        fp = self._register(embedder, role)
        keys = [text_key(t) for t in texts]
        first = _first_index(keys)
        unique = list(first.values())
        out = self._allocate(len(texts), embedder.info.dim)
        missing = self._fill_from_cache(out, fp, keys, unique)
        self._compute(out, embedder, role, fp, texts, keys, missing)
        for i, key in enumerate(keys):
            if first[key] != i:
                out[i] = out[first[key]]
        self.stats.calls += 1
        self.stats.texts += len(texts)
        self.stats.duplicates += len(texts) - len(unique)
        return out

    def _register(self, embedder: Embedder, role: Role) -> str:
        fp = fingerprint(embedder.info, role)
        if self._cache_on():
            assert self.cache is not None
            self.cache.register(fp, {"id": embedder.info.id, "name": embedder.info.name,
                                     **fingerprint_fields(embedder.info, role)})
        return fp

    def _cache_on(self) -> bool:
        return self.cache is not None and self.cache.enabled

    def _allocate(self, n: int, dim: int) -> np.ndarray:
        if n * dim * 4 < self.options.memmap_min_mib * (1 << 20):
            return np.zeros((n, dim), dtype=np.float32)
        self.stats.memmap_calls += 1
        path = self._scratch_dir() / f"vectors-{self.stats.calls}.f32"
        log.info("streaming %d × %d vectors to %s", n, dim, path)
        return np.memmap(path, dtype=np.float32, mode="w+", shape=(n, dim))

    def _scratch_dir(self) -> Path:
        if self._scratch is None:
            base = self.options.scratch_dir
            if base is not None:
                base.mkdir(parents=True, exist_ok=True)
            self._scratch = Path(tempfile.mkdtemp(prefix="embedgate-scratch-", dir=base))
            # Removed by close(); this also removes it when a failed run never gets there.
            weakref.finalize(self, shutil.rmtree, self._scratch, True)
        return self._scratch

    def _fill_from_cache(self, out: np.ndarray, fp: str, keys: list[bytes],
                         unique: list[int]) -> list[int]:
        """Copy cached rows into `out`; return the indices still to compute."""
        if not self._cache_on():
            return unique
        assert self.cache is not None
        before = self.cache.corrupted
        missing: list[int] = []
        step = 8192  # bounded memory for the lookups of huge inputs
        for start in range(0, len(unique), step):
            part = unique[start:start + step]
            found = self.cache.get_many(fp, [keys[i] for i in part])
            for i in part:
                vec = found.get(keys[i])
                if vec is None or vec.shape[0] != out.shape[1]:
                    missing.append(i)
                else:
                    out[i] = vec
        self.stats.cache_hits += len(unique) - len(missing)
        self.stats.corrupted += self.cache.corrupted - before
        return missing

    def _compute(self, out: np.ndarray, embedder: Embedder, role: Role, fp: str,
                 texts: list[str], keys: list[bytes], missing: list[int]) -> None:
        """Encode the misses, longest first (good batches), committing chunk by chunk."""
        if not missing:
            return
        order = sorted(missing, key=lambda i: -len(texts[i]))
        size = max(1, self.options.commit_every)
        chunks = [order[s:s + size] for s in range(0, len(order), size)]
        log.info("encoding %d texts (%s) with %s in %d chunk(s)", len(missing), role,
                 embedder.info.id, len(chunks))
        for chunk, vecs in self.runner.run(embedder, role, texts, chunks):
            vecs = _checked(vecs, len(chunk), out.shape[1], embedder.info.id)
            out[chunk] = vecs
            if self._cache_on():
                assert self.cache is not None
                self.cache.put_many(fp, [keys[i] for i in chunk], vecs)
            self.stats.computed += len(chunk)

    def bind(self, embedder_id: str, factory: Callable[[], Embedder]) -> None:
        """Tell a runner that builds embedders elsewhere (Ray workers) how to build this one."""
        bind = getattr(self.runner, "bind", None)
        if bind is not None:
            bind(embedder_id, factory)

    def record(self, result: TierResult) -> TierResult:
        """Attach what encoding did since the last call to a tier's result details."""
        delta = self.stats.minus(self._mark)
        self._mark = self.stats.copy()
        details = {**result.details, "encode": {**asdict(delta), **self.describe()}}
        return result.model_copy(update={"details": details})

    def describe(self) -> dict[str, Any]:
        """Where the cache is and whether it is on (for results)."""
        if self._cache_on():
            assert self.cache is not None
            return {"cache": "on", "cache_dir": str(self.cache.directory),
                    "workers": self.runner.describe()}
        reason = self.options.cache_off_reason or ("failed; see the warning" if self.cache
                                                   or self.options.cache_dir else "disabled")
        return {"cache": f"off ({reason})", "workers": self.runner.describe()}

    def totals(self) -> dict[str, float]:
        """Run-level counters for results `timings`."""
        return {"encode_texts": float(self.stats.texts),
                "encode_cache_hits": float(self.stats.cache_hits),
                "encode_computed": float(self.stats.computed)}

    def close(self) -> None:
        self.runner.close()
        if self.cache is not None:
            self.cache.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _first_index(keys: list[bytes]) -> dict[bytes, int]:
    first: dict[bytes, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return first


def _checked(vecs: np.ndarray, n: int, dim: int, embedder_id: str) -> np.ndarray:
    """Enforce the embedder contract before anything is cached."""
    vecs = np.asarray(vecs)
    if vecs.shape != (n, dim):
        raise InfraError(f"embedder {embedder_id} returned shape {vecs.shape} for {n} texts; "
                         f"expected ({n}, {dim}) as its info.dim says")
    if not np.isfinite(vecs).all():
        raise InfraError(f"embedder {embedder_id} returned NaN or infinite values")
    return vecs.astype(np.float32, copy=False)


def scratch_default(output_dir: Path) -> Path:
    """Scratch files live beside the run's outputs (a local disk, not a RAM-backed /tmp)."""
    return output_dir / ".scratch"
