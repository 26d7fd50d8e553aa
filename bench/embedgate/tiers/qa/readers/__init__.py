"""QA readers: turn a question and retrieved passages into an answer string.

A reader has an `id`, a `fingerprint` (what makes its answers differ: weights hash, decoding
settings, endpoint + model) and ``answer(requests, encode) -> list[str]``. `encode` is the
embedder of the run (extractive readers use it; generative readers ignore it).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from embedgate.tiers.qa.gencache import GenerationCache
from embedgate.tiers.qa.readers.base import Reader

# type → "module:factory", imported only when used (transformers is heavy).
_FACTORIES: dict[str, str] = {
    "extractive": "embedgate.tiers.qa.readers.extractive:ExtractiveReader",
    "llm": "embedgate.tiers.qa.readers.llm:LlmReader",
    "openai-compatible": "embedgate.tiers.qa.readers.openai_compat:OpenAIReader",
}


def build_reader(spec: Any, where: str, base_dir: Path, cache_path: Path | None) -> Reader:
    """Construct (not load) the reader a validated spec describes; `where` locates it for errors.

    Generative readers with `cache: true` get their own handle on the cache file at
    `cache_path` (so hit counts are per reader); others cache in memory only.
    """
    module, attr = _FACTORIES[spec.type].split(":")
    factory = getattr(importlib.import_module(module), attr)
    cache = GenerationCache(cache_path if getattr(spec, "cache", False) else None)
    reader: Reader = factory(spec, where, base_dir, cache)
    return reader
