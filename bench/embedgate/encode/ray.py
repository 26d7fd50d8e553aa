"""Scale-out of encoding over a Ray cluster (`embedgate run --ray [ADDRESS]`, suite `scale.ray`).

`RayRunner` is a `encoding.ChunkRunner`: the pipeline hands it the same chunks it would encode
locally, and it spreads them over Ray actors (one CPU each), each holding one copy of the
embedder. Results come back as chunks finish and are written by row index, and every chunk is
encoded by the same code on the same texts as in a local run, so the output does not depend on
which worker ran what. The pipeline, not the workers, writes the cache.

An actor builds its embedder from a factory the runner binds (`bind(embedder_id, factory)`,
e.g. `functools.partial(build_embedder, spec, env)`), or, failing that, from a pickled copy
of the embedder object. Every node needs the same Python environment (embedgate, models).
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from embedgate.embedders.base import Embedder, Role
from embedgate.infra.errors import InfraError

log = logging.getLogger("embedgate")

EmbedderBuilder = Callable[[], Embedder]  # builds one embedder on a worker
IN_FLIGHT_PER_WORKER = 2  # one running, one queued: workers never wait for the driver


class _EncodeWorker:
    """Ray actor body: builds the embedder once, then encodes chunks of texts."""

    def __init__(self, make: EmbedderBuilder | Embedder, threads: int) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.embedder = make if isinstance(make, Embedder) else make()
        # The run's thread count, not one per actor: torch splits its reductions by thread,
        # so another count changes the last bits of the vectors (seen as 0.402086 vs 0.402085).
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)

    def encode(self, texts: list[str], role: Role) -> np.ndarray:
        return self.embedder.encode(texts, role)


class RayRunner:
    """Encodes chunks on Ray actors; a local Ray is started when no address is given."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None,
                 threads: int = 1) -> None:
        import ray

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no phoning home
        self._ray = ray
        self._address = address
        self._owns = not ray.is_initialized()
        if self._owns:
            self._init(address, num_cpus)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.n_workers = max(1, min(num_cpus or cpus, cpus))
        self.threads = max(1, threads)  # every worker encodes as the driver would
        self._factories: dict[str, EmbedderBuilder] = {}
        self._actors: list[Any] = []
        self._actors_for: str | None = None
        log.info("ray: %d encode workers (%s)", self.n_workers, address or "local cluster")

    def _init(self, address: str | None, num_cpus: int | None) -> None:
        try:
            if address:
                self._ray.init(address=address, logging_level=logging.WARNING,
                               log_to_driver=False)
            else:  # a local Ray sees the modules this process sees
                path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
                self._ray.init(num_cpus=num_cpus, include_dashboard=False,
                               logging_level=logging.WARNING, log_to_driver=False,
                               runtime_env={"env_vars": {"PYTHONPATH": path}})
        except Exception as exc:  # a cluster that is not there is the environment's fault
            raise InfraError(f"ray: cannot start or reach a cluster at {address or 'local'}: "
                             f"{type(exc).__name__}: {exc}") from None

    def bind(self, embedder_id: str, factory: EmbedderBuilder) -> None:
        """How workers build this embedder (otherwise they get a pickled copy of it)."""
        self._factories[embedder_id] = factory

    def _workers(self, embedder: Embedder) -> list[Any]:
        key = embedder.info.id
        if self._actors_for != key:
            self._kill_actors()  # one embedder at a time, as the runner goes
            make: Any = self._factories.get(key, embedder)
            remote = self._ray.remote(num_cpus=1)(_EncodeWorker)
            ref = self._ray.put(make)
            self._actors = [remote.remote(ref, self.threads) for _ in range(self.n_workers)]
            self._actors_for = key
        return self._actors

    def run(self, embedder: Embedder, role: Role, texts: Sequence[str],
            chunks: list[list[int]]) -> Iterator[tuple[list[int], np.ndarray]]:
        """Yield (chunk, vectors) as workers finish; at most 2 chunks queued per worker."""
        actors = self._workers(embedder)
        pending: dict[Any, tuple[list[int], Any]] = {}  # object ref -> (chunk, its actor)
        todo = list(reversed(chunks))
        free = list(actors) * IN_FLIGHT_PER_WORKER
        while todo or pending:
            while todo and free:
                actor, chunk = free.pop(), todo.pop()
                pending[actor.encode.remote([texts[i] for i in chunk], role)] = (chunk, actor)
            done, _ = self._ray.wait(list(pending), num_returns=1)
            chunk, actor = pending.pop(done[0])
            free.append(actor)
            yield chunk, self._get(done[0])

    def _get(self, ref: Any) -> np.ndarray:
        try:
            return np.asarray(self._ray.get(ref))
        except self._ray.exceptions.RayError as exc:
            raise InfraError(f"ray: an encode worker failed: {str(exc).splitlines()[0]}") from None

    def _kill_actors(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors, self._actors_for = [], None

    def describe(self) -> str:
        return (f"ray, {self.n_workers} workers × {self.threads} threads "
                f"({self._address or 'local cluster'})")

    def close(self) -> None:
        self._kill_actors()
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
