"""Builds a run's EncodePipeline from the suite, the environment and the CLI.

Cache folder precedence: CLI --cache-dir, $EMBEDGATE_CACHE_DIR, suite `cache.dir`, the user
cache dir; `--no-cache` or `cache: {enabled: false}` turn it off.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import ENV_DIR, default_dir
from .config import LoadedSuite
from .encoding import EncodeOptions, EncodePipeline, scratch_default


@dataclass(frozen=True)
class EncodeOverrides:
    """What the command line says about encoding (None: the suite decides)."""

    cache_dir: Path | None = None
    no_cache: bool = False


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


def build_pipeline(loaded: LoadedSuite, cli: EncodeOverrides, output_dir: Path) -> EncodePipeline:
    return EncodePipeline.create(encode_options(loaded, cli, output_dir))
