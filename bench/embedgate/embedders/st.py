"""sentence-transformers embedder: a local model directory or a packaged alias."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from embedgate.embedders import st_config
from embedgate.embedders.batching import plan_batches, restore_order
from embedgate.suite import SentenceTransformersSpec
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.hashing import weights_sha256
from embedgate.infra.packaged import PREFIX, resolve
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.base import EmbedderInfo, Role, l2_normalise


def check_model_dir(path: Path, where: str) -> None:
    """Fail with one line unless `path` looks like a transformers / sentence-transformers model."""
    if not path.exists():
        raise InputError(f"{where}: model directory {path} not found; give a local model "
                         "directory or a packaged alias such as packaged:m3e-small")
    if not path.is_dir() or not ((path / "config.json").is_file() or (path / "modules.json").is_file()):
        raise InputError(f"{where}: {path} is not a model directory (no config.json or "
                         "modules.json); point model at a sentence-transformers model folder")


# Models whose position ids start after the padding index (RoBERTa family): a 514-position
# XLM-R takes 512 tokens.
_OFFSET_POSITIONS = frozenset({"roberta", "xlm-roberta", "camembert", "longformer", "mpnet",
                               "xlm-roberta-xl", "data2vec-text"})


def position_limit(path: Path) -> int | None:
    """The longest input (tokens) the model's position embeddings allow, from config.json."""
    config = st_config.read_json(path / "config.json")
    if config is None:
        return None  # no readable config: sentence-transformers will say so when it loads
    limit = config.get("max_position_embeddings")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        return None
    if config.get("model_type") in _OFFSET_POSITIONS:
        limit -= int(config.get("pad_token_id") or 1) + 1
    return limit


def check_max_seq_length(path: Path, max_seq_length: int | None, where: str, ref: str) -> None:
    """A max_seq_length beyond the position embeddings would crash mid-encode: fail now."""
    limit = position_limit(path) if max_seq_length is not None else None
    if limit is not None and max_seq_length is not None and max_seq_length > limit:
        raise InputError(f"{where}: max_seq_length {max_seq_length} exceeds the model's {limit} "
                         f"position embeddings ({ref}); set at most {limit}")


def model_path(ref: str, env: BuildEnv) -> Path:
    """A packaged alias resolves inside its package; a plain path is relative to the suite."""
    return resolve(ref) if ref.startswith(PREFIX) else env.resolve(ref)


class SentenceTransformerEmbedder:
    """Wraps `SentenceTransformer` with role prefixes and explicit normalisation."""

    def __init__(self, spec: SentenceTransformersSpec, env: BuildEnv | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        env = env or BuildEnv(where=spec.id)
        _set_torch_threads(env.threads)
        where = env.where
        self.spec = spec
        self.path = model_path(spec.model, env)
        check_model_dir(self.path, where)
        check_max_seq_length(self.path, spec.max_seq_length, where, spec.model)
        try:
            self.model = SentenceTransformer(str(self.path), device="cpu",
                                             trust_remote_code=spec.trust_remote_code)
        except Exception as exc:  # a broken artifact is an infrastructure failure, not a bug
            raise InfraError(f"{where}: model {self.path} failed to load: "
                             f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
        if spec.max_seq_length is not None:
            self.model.max_seq_length = spec.max_seq_length
        self.progress = env.progress
        self.info = _info(spec, self.path, dim=int(self.model.get_embedding_dimension() or 0),
                          max_seq_length=int(self.model.max_seq_length),
                          pooling=_pooling(self.model))

    @staticmethod
    def describe(spec: SentenceTransformersSpec, env: BuildEnv) -> EmbedderInfo | None:
        """The `info` the loaded model would report, from the folder's files (no torch);
        None when the files do not say (custom code, an unusual module layout)."""
        path = model_path(spec.model, env)
        check_model_dir(path, env.where)
        check_max_seq_length(path, spec.max_seq_length, env.where, spec.model)
        dim = st_config.output_dim(path)
        limit = spec.max_seq_length if spec.max_seq_length is not None \
            else st_config.max_seq_length(path)
        if spec.trust_remote_code or dim is None or limit is None:
            return None
        return _info(spec, path, dim=dim, max_seq_length=limit, pooling=FILE_POOLING)

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        prefix = self.spec.query_prefix if role == "query" else self.spec.passage_prefix
        batch = [prefix + t for t in texts] if prefix else list(texts)
        if not batch:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        plan = plan_batches(self.token_lengths(batch), self.spec.batch_size,
                            self.spec.max_tokens_per_batch)
        parts = [self._forward([batch[i] for i in b])
                 for b in _progress(plan, self.progress and len(batch) > 256)]
        return l2_normalise(restore_order(plan, np.concatenate(parts)))

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Token counts after truncation, as the model will see them (for batch planning)."""
        ids = self.model.tokenizer(texts, add_special_tokens=True, truncation=True,
                                   max_length=int(self.model.max_seq_length),
                                   return_attention_mask=False,
                                   return_token_type_ids=False)["input_ids"]
        return [len(x) for x in ids]

    def _forward(self, texts: list[str]) -> np.ndarray:
        """One planned batch through the model; batch_size=len keeps it one forward pass."""
        return self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True,
                                 normalize_embeddings=False, show_progress_bar=False)


def _progress(plan: list[list[int]], show: bool) -> Iterable[list[int]]:
    if not show:
        return plan
    from tqdm.auto import tqdm

    return tqdm(plan, desc="encode", unit="batch", file=sys.stderr)


# sentence-transformers 6's Pooling has no get_pooling_mode_str, so loaded models report
# "unknown"; the label is part of every cache key, and the pooling config itself is hashed
# into weights_sha256 (1_Pooling/config.json), so the label stays as it always was.
FILE_POOLING = "unknown"


def _pooling(model: object) -> str:
    for module in model:  # type: ignore[attr-defined]
        getter = getattr(module, "get_pooling_mode_str", None)
        if getter is not None:
            return str(getter())
    return FILE_POOLING


def _info(spec: SentenceTransformersSpec, path: Path, dim: int, max_seq_length: int,
          pooling: str) -> EmbedderInfo:
    """One place builds the info, so the loaded and the file-described embedder agree."""
    name = spec.model.split(":", 1)[1] if spec.model.startswith(PREFIX) else path.name
    return EmbedderInfo(
        id=spec.id, kind=spec.kind, name=name, backend="torch", precision="fp32", dim=dim,
        max_seq_length=max_seq_length, weights_sha256=weights_sha256(path), pooling=pooling,
        normalize=True, query_prefix=spec.query_prefix, passage_prefix=spec.passage_prefix,
        extra={"model_ref": spec.model, "batch_size": spec.batch_size,
               "max_tokens_per_batch": spec.max_tokens_per_batch,
               "batching": "sorted by token length, cut by batch_size and token budget"})


def _set_torch_threads(threads: int | None) -> None:
    """The run's thread count, set when torch is first needed (the runner no longer imports it)."""
    if threads:
        import torch

        torch.set_num_threads(threads)
