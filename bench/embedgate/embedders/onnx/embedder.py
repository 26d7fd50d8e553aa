"""`kind: onnx`: an FP32 or INT8 export of a sentence-transformers embedder of the suite.

`kind: onnx` names its source with `from:`; the export is built (and cached) by
`embedders.onnx.export` and verified against torch there, then run by `runtime.OnnxEncoder`
with the source's prefixes, length limit and batch size. Running it needs no torch.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embedgate.embedders.base import EmbedderInfo, Role
from embedgate.embedders.onnx.artifact import MODEL_FILE, ExportMeta, check_export
from embedgate.embedders.onnx.export import ensure_export, entry_dir
from embedgate.embedders.onnx.runtime import OnnxEncoder, token_limit
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.st import check_model_dir, model_path
from embedgate.infra.errors import InputError, did_you_mean
from embedgate.infra.hashing import file_sha256
from embedgate.suite import OnnxSpec, SentenceTransformersSpec


def source_spec(spec: OnnxSpec, env: BuildEnv) -> SentenceTransformersSpec:
    """The sentence-transformers embedder named by `from:`; one clear line when it is not one."""
    src = env.specs.get(spec.from_)
    if src is None:
        known = sorted(i for i, s in env.specs.items() if s.kind == "sentence-transformers")
        raise InputError(f'{env.where}: from: "{spec.from_}" is not an embedder of this suite'
                         f"{did_you_mean(spec.from_, known)}; name a sentence-transformers "
                         f"embedder ({', '.join(known) or 'none declared'})")
    if not isinstance(src, SentenceTransformersSpec):
        raise InputError(f'{env.where}: from: "{spec.from_}" is a {src.kind} embedder; ONNX '
                         "exports need a sentence-transformers embedder")
    return src


class OnnxEmbedder:
    """`kind: onnx`: the export of `from:` at `precision:`, with the source's prefixes, limits."""

    def __init__(self, spec: OnnxSpec, env: BuildEnv) -> None:
        source = source_spec(spec, env)
        model_dir = model_path(source.model, env)
        check_model_dir(model_dir, env.where)
        export_dir = ensure_export(model_dir, spec.precision, where=env.where,
                                   trust_remote_code=source.trust_remote_code)
        self.encoder = OnnxEncoder(export_dir, threads=_threads(env),
                                   max_seq_length=source.max_seq_length)
        self.model_file = self.encoder.model_file
        self.batch_size = spec.batch_size or source.batch_size
        self.prefixes = {"query": source.query_prefix, "passage": source.passage_prefix}
        self.info = _info(spec, source, self.encoder.meta, export_dir, self.encoder.threads)

    @staticmethod
    def describe(spec: OnnxSpec, env: BuildEnv) -> EmbedderInfo | None:
        """The `info` the loaded export would report, from its cached files (no onnxruntime);
        None while the export is not built (building it needs the model anyway)."""
        source = source_spec(spec, env)
        model_dir = model_path(source.model, env)
        check_model_dir(model_dir, env.where)
        export_dir = entry_dir(model_dir, spec.precision)
        try:
            meta = check_export(export_dir) if export_dir.is_dir() else None
        except InputError:
            return None  # corrupt: building the embedder discards and rebuilds it
        return None if meta is None else _info(spec, source, meta, export_dir, _threads(env))

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        return self.encoder.token_lengths(texts)

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        prefix = self.prefixes[role]
        batch = [prefix + t for t in texts] if prefix else list(texts)
        if not batch:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        return self.encoder.encode(batch, self.batch_size)


def _threads(env: BuildEnv) -> int | None:
    """The run's thread count (BuildEnv.threads where the runner sets it, else ORT's default)."""
    threads = getattr(env, "threads", None)
    if threads:
        return int(threads)
    env_threads = os.environ.get("OMP_NUM_THREADS", "")
    return int(env_threads) if env_threads.isdigit() and int(env_threads) > 0 else None


def _info(spec: OnnxSpec, source: SentenceTransformersSpec, meta: ExportMeta, export_dir: Path,
          threads: int | None) -> EmbedderInfo:
    name = source.model.split(":", 1)[1] if source.model.startswith("packaged:") \
        else Path(source.model).name
    return EmbedderInfo(
        id=spec.id, kind=spec.kind, name=name, backend="onnxruntime", precision=spec.precision,
        dim=meta.dim, max_seq_length=token_limit(meta, source.max_seq_length),
        weights_sha256=file_sha256(export_dir / MODEL_FILE), pooling=meta.pooling,
        normalize=True, query_prefix=source.query_prefix, passage_prefix=source.passage_prefix,
        extra={"from": spec.from_, "source_key": meta.source_key, "export_dir": str(export_dir),
               "onnx_bytes": meta.onnx_bytes, "opset": meta.opset, "recipe": meta.recipe,
               "check": meta.check, "model_normalizes": meta.model_normalizes,
               "batch_size": spec.batch_size or source.batch_size, "threads": threads,
               "batching": "sorted by token length, cut by batch_size"})
