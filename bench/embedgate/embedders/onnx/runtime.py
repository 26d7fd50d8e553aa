"""Running an ONNX export: `OnnxEncoder` = tokenizer → onnxruntime session → pooling → L2.

Reads an export directory in the `artifact` format. Running it needs no torch: the tokenizer is
the model's own `tokenizer.json` (via `tokenizers`), pooling and normalisation run in numpy as
the model's own sentence-transformers modules say. Used by the `kind: onnx` embedder, by the
export's own parity and drift checks, and by `embedgate quantize`.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.embedders.base import l2_normalise
from embedgate.embedders.onnx.artifact import MODEL_FILE, TOKENIZER_FILE, ExportMeta, read_meta
from embedgate.infra.errors import InputError


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
        self.max_seq_length = token_limit(self.meta, max_seq_length)
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


def token_limit(meta: ExportMeta, max_seq_length: int | None) -> int:
    """The suite's limit, never beyond the one the export was built (and checked) with."""
    return min(max_seq_length or meta.max_seq_length, meta.max_seq_length)


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
