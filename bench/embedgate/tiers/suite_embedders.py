"""Suite-scoped tiers build the suite's embedders themselves (lazily, one at a time): shared by
the parity and load tiers, which both need vectors, not a ranking."""
from __future__ import annotations

from embedgate.embedders.base import Embedder, Retriever
from embedgate.embedders.lazy import build_lazy
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InputError
from embedgate.suite import LoadedSuite
from embedgate.tiers.context import RunContext


def build_vector_embedder(loaded: LoadedSuite, eid: str, ctx: RunContext, why: str) -> Embedder:
    """The declared embedder `eid`; one file:line error when it ranks without vectors
    (`why` says what the tier does with them, e.g. "the parity tier compares vectors")."""
    index = next(i for i, e in enumerate(loaded.suite.embedders) if e.id == eid)
    spec = loaded.suite.embedders[index]
    env = BuildEnv(where=loaded.where(("embedders", index)), progress=ctx.progress,
                   base_dir=loaded.base_dir, specs={e.id: e for e in loaded.suite.embedders},
                   threads=ctx.threads)
    embedder = build_lazy(spec, env)
    if isinstance(embedder, Retriever):
        raise InputError(f"{env.where}: {eid} ranks without vectors; {why}")
    return embedder
