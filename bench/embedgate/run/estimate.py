"""`embedgate run --dry-run`: what a run would send to paid HTTP embedders, sending nothing.

The tiers decide which texts they encode, so the estimate runs them for real, through the
run's own encode pipeline (same de-duplication, same chunks), but against a stand-in embedder
that records every encode call, plans its requests exactly as `embedders.http` would (same
prefixes, same limits, same cuts) and answers with deterministic pseudo-random unit vectors.
Tier outputs are thrown away; nothing is written. Only `openai-compatible` embedders are
estimated; local kinds send nothing.

The count is an upper bound in one way: the embedding cache is left out, and texts already in
it are not sent again by a real run. It includes the one probe request an HTTP embedder sends
when built, but not retries (those depend on the server's mood): keep `request_budget` above
it with margin.
"""
from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embedgate.suite import LoadedSuite, OpenAICompatibleSpec
from embedgate.infra.errors import InputError
from embedgate.tiers.context import RunContext
from embedgate.embedders.base import EmbedderInfo, Role, l2_normalise
from embedgate.embedders.http import plan_texts
from embedgate.encode.setup import EncodeOverrides, build_pipeline
from embedgate.run.runner import load_datasets, plan_jobs

DRY_DIM = 32  # stand-in dimension when the spec does not fix one: only tiers' plumbing sees it


@dataclass
class Estimate:
    """Counts for one HTTP embedder over a whole run."""

    id: str
    base_url: str
    model: str
    request_budget: int
    texts: dict[str, int] = field(default_factory=lambda: {"query": 0, "passage": 0})
    tokens: int = 0
    requests: int = 1  # the probe sent at build time

    @property
    def within_budget(self) -> bool:
        return self.requests <= self.request_budget


class DryRunEmbedder:
    """Plans and counts requests like the HTTP embedder; returns stand-in vectors."""

    def __init__(self, spec: OpenAICompatibleSpec) -> None:
        self.spec = spec
        self.estimate = Estimate(spec.id, spec.base_url, spec.model, spec.request_budget)
        self.info = EmbedderInfo(id=spec.id, kind=spec.kind, name=spec.model, backend="dry-run",
                                 precision="unknown", dim=spec.dimensions or DRY_DIM,
                                 max_seq_length=None, weights_sha256="0" * 64)

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        plan = plan_texts(self.spec, texts, role)
        self.estimate.texts[role] += len(texts)
        self.estimate.tokens += sum(plan.tokens)
        self.estimate.requests += len(plan.requests)
        return l2_normalise(np.stack([_stand_in(t, self.info.dim) for t in plan.texts])) \
            if texts else np.zeros((0, self.info.dim), dtype=np.float32)


def _stand_in(text: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def estimate_suite(loaded: LoadedSuite) -> list[Estimate]:
    """Run every tier of every HTTP embedder against a dry-run stand-in; return its counts."""
    specs = [s for s in loaded.suite.embedders if isinstance(s, OpenAICompatibleSpec)]
    if not specs:
        return []
    jobs = plan_jobs(loaded, load_datasets(loaded))
    out: list[Estimate] = []
    with tempfile.TemporaryDirectory(prefix="embedgate-dry-run-") as scratch:
        pipeline = build_pipeline(loaded, EncodeOverrides(no_cache=True), Path(scratch), 1)
        try:
            for spec in specs:
                dry = DryRunEmbedder(spec)
                ctx = RunContext(seed=loaded.suite.seed, threads=1, progress=False,
                                 encode_fn=pipeline)
                for job in (j for j in jobs if j.wants(spec.id)):
                    job.impl.run(dry, job.data, job.params, ctx)
                out.append(dry.estimate)
        finally:
            pipeline.close()
    return out


def format_estimates(loaded: LoadedSuite, estimates: list[Estimate]) -> str:
    """A table for the terminal: texts, estimated tokens, requests vs budget per embedder."""
    lines = ["dry run: nothing was sent to any server", ""]
    header = f"{'embedder':22s} {'queries':>8s} {'passages':>9s} {'~tokens':>10s} " \
             f"{'requests':>9s} {'budget':>8s}"
    lines.append(header)
    for e in estimates:
        flag = "" if e.within_budget else "  OVER BUDGET"
        lines.append(f"{e.id:22s} {e.texts['query']:8d} {e.texts['passage']:9d} "
                     f"{e.tokens:10d} {e.requests:9d} {e.request_budget:8d}{flag}")
    local = [s.id for s in loaded.suite.embedders
             if not isinstance(s, OpenAICompatibleSpec)]
    if local:
        lines.append(f"local (send nothing): {', '.join(local)}")
    lines.append("tokens are a conservative client-side estimate; requests include one probe "
                 "per embedder and exclude retries; texts already in the embedding cache "
                 "will not be sent")
    return "\n".join(lines)


def dry_run(loaded: LoadedSuite) -> int:
    """Print the estimate; a run that would overrun a request budget is bad input (exit 2)."""
    estimates = estimate_suite(loaded)
    print(format_estimates(loaded, estimates))
    over = [e for e in estimates if not e.within_budget]
    if over:
        first = over[0]
        index = [s.id for s in loaded.suite.embedders].index(first.id)
        where = loaded.where(("embedders", index, "request_budget"))
        raise InputError(f"{where}: embedder {first.id} would send "
                         f"{first.requests} requests, over its request_budget "
                         f"{first.request_budget}; raise request_budget or "
                         "max_inputs_per_request")
    return 0
