"""Builds a run's EncodePipeline from the suite, the environment and the CLI.

Cache folder precedence: CLI --cache-dir, $EMBEDGATE_CACHE_DIR, suite `cache.dir`, the user
cache dir; `--no-cache` or `cache: {enabled: false}` turn it off. Ray: CLI `--ray [ADDRESS]`
(without an address: a local Ray), else suite `scale.ray`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from embedgate.encode.locations import ENV_DIR, LOCAL_RAY, default_dir
from embedgate.suite import LoadedSuite
from embedgate.encode.pipeline import ChunkRunner, EncodeOptions, EncodePipeline, scratch_default
from embedgate.encode.ray import RayRunner


@dataclass(frozen=True)
class EncodeOverrides:
    """What the command line says about encoding (None: the suite decides)."""

    cache_dir: Path | None = None
    no_cache: bool = False
    ray: str | None = None  # an address, or "local"; None: the suite decides


def encode_options(loaded: LoadedSuite, cli: EncodeOverrides, output_dir: Path) -> EncodeOptions:
    suite = loaded.suite
    scratch = loaded.resolve(suite.scale.scratch_dir) if suite.scale.scratch_dir else None
    base = EncodeOptions(commit_every=suite.cache.commit_every,
                         memmap_min_mib=suite.scale.memmap_min_mib,
                         scratch_dir=scratch or scratch_default(output_dir))
    if cli.no_cache:
        return replace(base, cache_off_reason="--no-cache")
    if cli.cache_dir is not None:
        return replace(base, cache_dir=cli.cache_dir)
    if not suite.cache.enabled:
        return replace(base, cache_off_reason="cache.enabled: false")
    if os.environ.get(ENV_DIR):
        return replace(base, cache_dir=default_dir())
    return replace(base, cache_dir=loaded.resolve(suite.cache.dir) if suite.cache.dir
                   else default_dir())


def chunk_runner(loaded: LoadedSuite, cli: EncodeOverrides, threads: int) -> ChunkRunner | None:
    """A Ray runner when the CLI or the suite asks for one; None: encode in this process."""
    ray_spec = loaded.suite.scale.ray
    if cli.ray is None and ray_spec is None:
        return None

    address = cli.ray if cli.ray is not None else (ray_spec.address if ray_spec else None)
    return RayRunner(address=None if address in (None, LOCAL_RAY) else address,
                     num_cpus=ray_spec.num_cpus if ray_spec else None, threads=threads)


def build_pipeline(loaded: LoadedSuite, cli: EncodeOverrides, output_dir: Path,
                   threads: int) -> EncodePipeline:
    """`threads`: the run's thread count, which Ray workers use too (bit-identical vectors)."""
    return EncodePipeline.create(encode_options(loaded, cli, output_dir),
                                 chunk_runner(loaded, cli, threads))
