"""Building ONNX exports: torch → ONNX FP32 (fused, parity-checked), FP32 → INT8, cached.

`export_fp32` writes an FP32 export of a sentence-transformers model (Transformer → Pooling
(→ Normalize)) and checks it reproduces torch; `quantize_int8` quantises a verified FP32 export
with a `QuantRecipe` and checks its drift from FP32. Both checks run the export through
`runtime.OnnxEncoder`. `ensure_export` returns a verified cache entry, building it in a private
directory and publishing it atomically (the format and the cache are `artifact`).
torch / sentence-transformers / onnx are imported only when an export is built.

Example::

    fp32_dir = ensure_export(Path("model_dir"), "fp32")
    int8_dir = ensure_export(Path("model_dir"), "int8")      # quantised from the cached FP32
"""
from __future__ import annotations

import importlib.metadata as md
import logging
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.embedders.base import l2_normalise
from embedgate.embedders.onnx.artifact import (
    DEFAULT_INT8, EXPORT_VERSION, MODEL_FILE, OPSET, POOLING_MODES, TOKENIZER_FILE, ExportMeta,
    Precision, QuantRecipe, cache_root, check_export, entry_name, first_line, fresh_tmp,
    publish_dir, source_key, write_meta,
)
from embedgate.embedders.onnx.runtime import OnnxEncoder
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.hashing import file_sha256

log = logging.getLogger("embedgate")

PARITY_MIN_COSINE = 0.9999  # FP32 ONNX vs torch: anything lower is an export bug
INT8_MIN_MEAN_COSINE = 0.95  # INT8 vs FP32: below this the quantised graph is broken, not noisy

# Fixed check sample: both languages, very short to past any max_seq_length (truncation path).
CHECK_TEXTS: tuple[str, ...] = (
    "心肌缺血", "冠状动脉供血不足的常见症状有哪些？", "合同中的不可抗力条款如何认定",
    "force majeure", "What is an act of God in contract law?", "a",
    "Myocardial ischaemia reduces blood flow to the heart muscle, often causing chest pain.",
    "增值税专用发票的抵扣期限是多少天？逾期未认证的发票还能否抵扣？",
    "The central bank raised interest rates by 25 basis points to curb inflation.",
    "患者男性，58岁，劳累后胸闷气短三个月，休息后可缓解，心电图示ST段压低。",
    "Limitation period for civil claims: three years from when the claimant knew of the damage.",
    "股票 bond 基金 fund 混合 mixed text 中英 bilingual",
    "医疗 " * 300, "contract " * 400,
)


# ---------------------------------------------------------------- the cache

def entry_dir(model_dir: Path, precision: Precision, recipe: QuantRecipe = DEFAULT_INT8) -> Path:
    """Where the export of `model_dir` at `precision` lives in the cache (built or not)."""
    return cache_root() / source_key(model_dir)[:24] / entry_name(precision, recipe)


def ensure_export(model_dir: Path, precision: Precision, recipe: QuantRecipe = DEFAULT_INT8,
                  where: str = "", trust_remote_code: bool = False) -> Path:
    """Return a verified export directory of `model_dir`, building and caching it if needed.

    INT8 is quantised from the (cached) FP32 export. A corrupt cache entry is discarded with a
    warning and rebuilt; a model that cannot be exported raises InputError.
    """
    final = entry_dir(model_dir, precision, recipe)
    root = final.parent
    if final.is_dir():
        try:
            check_export(final)
            return final
        except InputError as exc:
            log.warning("discarding corrupt ONNX cache entry: %s", exc)
            shutil.rmtree(final, ignore_errors=True)
    source = ensure_export(model_dir, "fp32", recipe, where, trust_remote_code) \
        if precision == "int8" else None
    log.info("building %s ONNX export of %s (cached in %s)", precision, model_dir, final)
    tmp = fresh_tmp(root)
    try:
        if source is None:
            export_fp32(model_dir, tmp, where, trust_remote_code)
        else:
            quantize_int8(source, tmp, recipe)
        return publish_dir(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- FP32 export

@dataclass(frozen=True)
class Layout:
    """What sentence-transformers does around the transformer, read from the model itself."""

    pooling: str
    model_normalizes: bool
    max_seq_length: int
    dim: int


def load_source(model_dir: Path, where: str = "", trust_remote_code: bool = False) -> Any:
    """The model as sentence-transformers loads it (its own pooling defaults included)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(model_dir), device="cpu",
                                   trust_remote_code=trust_remote_code)
    except Exception as exc:  # any failure to load the artifact is a bad model reference
        raise InputError(f"{where or model_dir}: {model_dir} cannot be loaded for ONNX export "
                         f"({type(exc).__name__}: {first_line(exc)})") from None


def layout_of(st: Any, where: str) -> Layout:
    """Transformer → Pooling (→ Normalize) is exportable; anything else is refused by name."""
    names = [type(m).__name__ for m in st]
    if names[:2] != ["Transformer", "Pooling"] or any(n != "Normalize" for n in names[2:]):
        raise InputError(f"{where}: cannot export modules {' → '.join(names)} to ONNX; only "
                         "Transformer → Pooling (→ Normalize) models are supported")
    transformer, pooling = st[0], st[1]
    mode = pooling.pooling_mode
    if getattr(transformer, "transformer_task", "feature-extraction") != "feature-extraction":
        raise InputError(f"{where}: transformer task {transformer.transformer_task!r} cannot be "
                         "exported; only encoder (feature-extraction) models are supported")
    if not isinstance(mode, str) or mode not in POOLING_MODES:
        raise InputError(f"{where}: pooling mode {mode!r} is not supported by the ONNX embedder; "
                         f"supported: {', '.join(POOLING_MODES)}")
    if transformer.tokenizer is None or not transformer.tokenizer.is_fast:
        raise InputError(f"{where}: the model has no fast tokenizer (tokenizer.json); "
                         "cannot export")
    return Layout(pooling=mode, model_normalizes="Normalize" in names,
                  max_seq_length=int(st.max_seq_length), dim=int(st.get_embedding_dimension()))


def export_fp32(model_dir: Path, out: Path, where: str = "", trust_remote_code: bool = False,
                fuse: bool = True) -> ExportMeta:
    """Write model.onnx + tokenizer.json + metadata into the empty directory `out`, verified.

    `fuse` runs onnxruntime's transformer fusions (Attention, EmbedLayerNormalization,
    SkipLayerNormalization, BiasGelu) on the exported graph: what a team would deploy, and
    what lets INT8 use QAttention. Parity with torch is checked on the final graph.
    """
    st = load_source(model_dir, where, trust_remote_code)
    layout = layout_of(st, where or str(model_dir))
    tokenizer = st[0].tokenizer
    (out / TOKENIZER_FILE).write_text(tokenizer.backend_tokenizer.to_str(), encoding="utf-8")
    input_names = _torch_export(st[0].auto_model, tokenizer, out / MODEL_FILE,
                                where or str(model_dir))
    fusions = _fuse(out / MODEL_FILE, st[0].auto_model.config) if fuse else {}
    meta = _meta(out, "fp32", model_dir, layout, input_names, None, {})
    write_meta(out, meta.model_copy(update={"fusions": fusions}))
    check = _parity(st, out)
    meta = meta.model_copy(update={"check": check, "fusions": fusions})
    write_meta(out, meta)
    return meta


def _torch_export(model: Any, tokenizer: Any, path: Path, where: str) -> list[str]:
    """torch.onnx.export (TorchScript exporter, opset 17) with dynamic batch and sequence axes.

    Attention is traced in its "eager" form (explicit MatMul / Softmax): the SDPA form exports
    as a pattern onnxruntime's fusions do not recognise. The model is switched back afterwards.
    """
    import torch

    sample = tokenizer(["a short text", "a somewhat longer text for the trace"], padding=True,
                       return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
    wrapper = _last_hidden(model, names).eval()
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "token_embeddings"]}
    before = getattr(model.config, "_attn_implementation", None)
    try:
        _set_attention(model, "eager")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter about constants that are constant here
            torch.onnx.export(wrapper, tuple(sample[n] for n in names), str(path),
                              input_names=names, output_names=["token_embeddings"],
                              dynamic_axes=axes, opset_version=OPSET, dynamo=False,
                              do_constant_folding=True)
    except Exception as exc:  # the exporter raises many types; all mean "cannot export this"
        raise InputError(f"{where}: torch.onnx.export failed ({type(exc).__name__}: "
                         f"{first_line(exc)}); this architecture cannot be exported") from None
    finally:
        _set_attention(model, before)
    return names


def _set_attention(model: Any, impl: str | None) -> None:
    if impl and hasattr(model, "set_attn_implementation"):
        try:
            model.set_attn_implementation(impl)
        except (ValueError, ImportError):  # a model without that kernel keeps its own
            pass


def _fuse(path: Path, config: Any) -> dict[str, int]:
    """onnxruntime transformer fusions, in place; a graph they do not fit is left as it is."""
    from onnxruntime.transformers.optimizer import optimize_model

    try:
        with warnings.catch_warnings(), _root_log_level(logging.ERROR):
            warnings.simplefilter("ignore")
            model = optimize_model(str(path), model_type="bert",
                                   num_heads=int(getattr(config, "num_attention_heads", 0) or 0),
                                   hidden_size=int(getattr(config, "hidden_size", 0) or 0),
                                   opt_level=0)
            stats = {k: int(v) for k, v in model.get_fused_operator_statistics().items() if v}
            model.save_model_to_file(str(path))
    except Exception as exc:  # fusion is an optimisation: an unfusable graph still runs
        log.warning("onnxruntime fusions skipped for %s: %s", path, first_line(exc))
        return {}
    return stats


def _last_hidden(model: Any, names: list[str]) -> Any:
    """Positional inputs in a fixed order → last_hidden_state (what Pooling consumes)."""
    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> Any:
            return self.model(**dict(zip(names, tensors)), return_dict=True).last_hidden_state

    return LastHidden()


def _parity(st: Any, export_dir: Path) -> dict[str, Any]:
    """Cosine of ONNX vs torch vectors on CHECK_TEXTS; below PARITY_MIN_COSINE fails loudly."""
    texts = list(CHECK_TEXTS)
    ref = l2_normalise(st.encode(texts, batch_size=8, normalize_embeddings=False,
                                 convert_to_numpy=True, show_progress_bar=False))
    got = OnnxEncoder(export_dir, threads=None).encode(texts, batch_size=8)
    cos = np.sum(ref * got, axis=1)
    check = {"against": "torch (sentence-transformers)", "n_texts": len(texts),
             "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean()),
             "threshold": PARITY_MIN_COSINE}
    if cos.min() < PARITY_MIN_COSINE:
        raise InfraError(f"ONNX export of {st[0].auto_model.name_or_path or export_dir} does not "
                         f"reproduce torch: min cosine {cos.min():.6f} < {PARITY_MIN_COSINE}")
    return check


# ---------------------------------------------------------------- INT8

def quantize_int8(fp32_dir: Path, out: Path, recipe: QuantRecipe = DEFAULT_INT8) -> ExportMeta:
    """Dynamic INT8 quantisation of a verified FP32 export into the empty directory `out`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src = check_export(fp32_dir)
    if src.precision != "fp32":
        raise InputError(f"{fp32_dir}: is already {src.precision}; quantise an FP32 export")
    shutil.copyfile(fp32_dir / TOKENIZER_FILE, out / TOKENIZER_FILE)
    weight_type = QuantType.QInt8 if recipe.weight_type == "qint8" else QuantType.QUInt8
    with warnings.catch_warnings(), _root_log_level(logging.ERROR):
        warnings.simplefilter("ignore")
        quantize_dynamic(fp32_dir / MODEL_FILE, out / MODEL_FILE, weight_type=weight_type,
                         per_channel=recipe.per_channel, reduce_range=recipe.reduce_range,
                         op_types_to_quantize=list(recipe.op_types),
                         # fused contrib ops defeat shape inference; their outputs are float
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    layout = Layout(src.pooling, src.model_normalizes, src.max_seq_length, src.dim)
    meta = _meta(out, "int8", Path(src.source), layout, src.input_names, asdict(recipe), {},
                 source_key_=src.source_key)
    meta = meta.model_copy(update={"fusions": src.fusions})
    write_meta(out, meta)
    meta = meta.model_copy(update={"check": _drift(fp32_dir, out)})
    write_meta(out, meta)
    return meta


@contextmanager
def _root_log_level(level: int) -> Iterator[None]:
    """quantize_dynamic logs pre-processing advice on the root logger on every call."""
    root = logging.getLogger()
    before = root.level
    root.setLevel(max(before, level))
    try:
        yield
    finally:
        root.setLevel(before)


def _drift(fp32_dir: Path, int8_dir: Path) -> dict[str, Any]:
    """Cosine of INT8 vs FP32 vectors on CHECK_TEXTS; a collapsed graph fails loudly."""
    texts = list(CHECK_TEXTS)
    ref = OnnxEncoder(fp32_dir, threads=None).encode(texts, batch_size=8)
    got = OnnxEncoder(int8_dir, threads=None).encode(texts, batch_size=8)
    cos = np.sum(ref * got, axis=1)
    check = {"against": "fp32 onnx", "n_texts": len(texts), "min_cosine": float(cos.min()),
             "mean_cosine": float(cos.mean()), "threshold_mean": INT8_MIN_MEAN_COSINE}
    if cos.mean() < INT8_MIN_MEAN_COSINE:
        raise InfraError(f"INT8 quantisation of {fp32_dir} broke the model: mean cosine to FP32 "
                         f"{cos.mean():.4f} < {INT8_MIN_MEAN_COSINE}; try another recipe")
    return check


# ---------------------------------------------------------------- metadata helpers

def _meta(out: Path, precision: Precision, source: Path, layout: Layout, input_names: list[str],
          recipe: dict[str, Any] | None, check: dict[str, Any],
          source_key_: str | None = None) -> ExportMeta:
    model = out / MODEL_FILE
    return ExportMeta(
        export_version=EXPORT_VERSION, precision=precision, source=str(source),
        source_key=source_key_ or source_key(source), pooling=layout.pooling,
        model_normalizes=layout.model_normalizes, max_seq_length=layout.max_seq_length,
        dim=layout.dim, input_names=input_names, opset=OPSET, recipe=recipe, check=check,
        onnx_bytes=model.stat().st_size, onnx_sha256=file_sha256(model), versions=_versions())


def _versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("torch", "transformers", "sentence-transformers", "onnx", "onnxruntime"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return out

