"""ONNX Runtime embedder: an FP32 or INT8 export of a sentence-transformers embedder of the suite.

`kind: onnx` names its source with `from:`; the export is built (and cached) by
`embedgate.onnx_export` and verified against torch there. Running it needs no torch: the
tokenizer is the model's own `tokenizer.json` (via `tokenizers`), pooling runs in numpy.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.suite import OnnxSpec, SentenceTransformersSpec
from embedgate.infra.errors import InputError, did_you_mean
from embedgate.infra.hashing import file_sha256
from embedgate.embedders.onnx.export import (
    MODEL_FILE, TOKENIZER_FILE, ExportMeta, ensure_export, read_meta,
)
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.base import EmbedderInfo, Role, l2_normalise


class OnnxEncoder:
    """Tokenise → ONNX Runtime → pooling → L2 normalisation, for one export directory.

    Texts are tokenised once, sorted by token length and batched, so a batch pads to similar
    lengths; rows come back in the input order.
    """

    def __init__(self, export_dir: Path, threads: int | None = None,
                 max_seq_length: int | None = None) -> None:
        self.meta: ExportMeta = read_meta(export_dir)
        self.model_file = export_dir / MODEL_FILE
        self.session = _session(self.model_file, threads)
        self.max_seq_length = min(max_seq_length or self.meta.max_seq_length,
                                  self.meta.max_seq_length)
        self.tokenizer = _tokenizer(export_dir / TOKENIZER_FILE, self.max_seq_length)
        self.pad_id = _pad_id(self.tokenizer)
        self.threads = threads

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text after truncation, special tokens included (what the graph sees)."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(encodings), self.meta.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            out[idx] = self._forward([encodings[i] for i in idx])
        return l2_normalise(out)

    def _forward(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = enc.ids, enc.attention_mask, enc.type_ids
        arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run(None, {n: arrays[n] for n in self.meta.input_names})[0]
        return pool(hidden, mask, self.meta.pooling)


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """sentence-transformers pooling on (batch, seq, dim) token embeddings, right padding."""
    m = mask[..., None].astype(np.float32)
    if mode == "cls":
        return hidden[:, 0].astype(np.float32)
    if mode == "max":
        return np.where(m > 0, hidden, -np.inf).max(axis=1).astype(np.float32)
    total = (hidden * m).sum(axis=1)
    count = np.maximum(m.sum(axis=1), 1e-9)
    if mode == "mean":
        return (total / count).astype(np.float32)
    if mode == "mean_sqrt_len_tokens":
        return (total / np.sqrt(count)).astype(np.float32)
    raise ValueError(f"unsupported pooling mode {mode!r}")


def _session(path: Path, threads: int | None) -> Any:
    """An ORT CPU session; a file ORT cannot read is bad input naming the file."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own exception types for unreadable graphs
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise InputError(f"{path}: not a loadable ONNX model ({first}); re-create it with "
                         "`embedgate quantize`") from None


def _tokenizer(path: Path, max_len: int) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()  # we pad per length-sorted batch ourselves
    tok.enable_truncation(max_length=max_len, strategy="longest_first")
    return tok


def _pad_id(tok: Any) -> int:
    for token in ("[PAD]", "<pad>", "<|pad|>"):
        tid = tok.token_to_id(token)
        if tid is not None:
            return int(tid)
    return 0  # masked out anyway; any valid id works


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
        from embedgate.embedders.st import check_model_dir, model_path

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
        self.info = _info(spec, source, self.encoder, export_dir, self.batch_size)

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


def _info(spec: OnnxSpec, source: SentenceTransformersSpec, encoder: OnnxEncoder,
          export_dir: Path, batch_size: int) -> EmbedderInfo:
    meta = encoder.meta
    name = source.model.split(":", 1)[1] if source.model.startswith("packaged:") \
        else Path(source.model).name
    return EmbedderInfo(
        id=spec.id, kind=spec.kind, name=name, backend="onnxruntime", precision=spec.precision,
        dim=meta.dim, max_seq_length=encoder.max_seq_length,
        weights_sha256=file_sha256(encoder.model_file), pooling=meta.pooling, normalize=True,
        query_prefix=source.query_prefix, passage_prefix=source.passage_prefix,
        extra={"from": spec.from_, "source_key": meta.source_key, "export_dir": str(export_dir),
               "onnx_bytes": meta.onnx_bytes, "opset": meta.opset, "recipe": meta.recipe,
               "check": meta.check, "model_normalizes": meta.model_normalizes,
               "batch_size": batch_size, "threads": encoder.threads,
               "batching": "sorted by token length, cut by batch_size"})
