"""`embedgate quantize MODEL --out DIR`: an FP32 or INT8 ONNX export directory from the CLI.

MODEL is a sentence-transformers model directory, a packaged alias (`packaged:m3e-small` or
`m3e-small`), or an FP32 export directory written earlier by this command. The export is the
same one `kind: onnx` embedders use (and is cached the same way); DIR is written atomically.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_name
from embedgate.embedders.onnx.artifact import (
    DEFAULT_INT8,
    META_FILE,
    MODEL_FILE,
    QuantRecipe,
    check_export,
    publish_dir,
)
from embedgate.infra.packaged import PACKAGED, PREFIX, resolve


def add_parser(sub: Any) -> None:
    q = sub.add_parser("quantize", help="export a sentence-transformers model to ONNX (INT8 or "
                       "FP32), verified against torch")
    q.add_argument("model", help="model directory, packaged alias, or an FP32 export directory")
    q.add_argument("--out", required=True, help="new directory for model.onnx, tokenizer.json "
                   f"and {META_FILE}")
    q.add_argument("--precision", choices=("int8", "fp32"), default="int8")
    q.add_argument("--weight-type", choices=("qint8", "quint8"), default=DEFAULT_INT8.weight_type)
    q.add_argument("--per-tensor", action="store_true", help="one scale per weight tensor "
                   "instead of per output channel")
    q.add_argument("--reduce-range", action=argparse.BooleanOptionalAction,
                   default=DEFAULT_INT8.reduce_range,
                   help="7-bit weights (default: on where the CPU has no VNNI, whose INT8 "
                   "kernels saturate)")
    q.add_argument("--op-types", default=",".join(DEFAULT_INT8.op_types),
                   help="operator types to quantise, comma-separated")
    q.set_defaults(func=cmd_quantize)


def cmd_quantize(args: argparse.Namespace) -> int:
    out = check_name(args.out, "--out")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: already exists and is not an empty directory; choose a new --out")
    recipe = QuantRecipe(weight_type=args.weight_type, per_channel=not args.per_tensor,
                         reduce_range=args.reduce_range,
                         op_types=tuple(t.strip() for t in args.op_types.split(",") if t.strip()))
    source = _source(args.model)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise InputError(f"{out}: cannot write there ({exc.strerror}); "
                         "choose another --out") from None
    try:
        _build(source, args.precision, recipe, tmp)
        if out.is_dir():
            out.rmdir()  # empty (checked above); rename needs the name free
        publish_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta = check_export(out)
    check = meta.check
    print(f"{out}: {meta.precision} ONNX, {(out / MODEL_FILE).stat().st_size / 1e6:.1f} MB, "
          f"cosine vs {check['against']}: mean {check['mean_cosine']:.6f}, "
          f"min {check['min_cosine']:.6f} on {check['n_texts']} texts")
    return 0


def _source(ref: str) -> Path:
    """A packaged alias, an export directory, or a model directory; anything else is bad input."""
    if ref.startswith(PREFIX) or ref in PACKAGED:
        return resolve(ref if ref.startswith(PREFIX) else PREFIX + ref)
    path = check_name(ref, "model path")
    if path.is_file() and path.suffix == ".onnx":
        raise InputError(f"{path}: pass the export directory that holds it (with {META_FILE}), "
                         "or the sentence-transformers model directory to export")
    if (path / META_FILE).is_file():
        return path
    from embedgate.embedders.st import check_model_dir

    check_model_dir(path, str(path))
    return path


def _build(source: Path, precision: str, recipe: QuantRecipe, tmp: Path) -> None:
    from embedgate.embedders.onnx.export import ensure_export, quantize_int8  # numpy, onnx

    if (source / META_FILE).is_file():  # an earlier FP32 export: quantise it as it is
        meta = check_export(source)
        if precision == "fp32" or meta.precision != "fp32":
            raise InputError(f"{source}: is a {meta.precision} export; quantise an FP32 export "
                             "to int8, or export the model directory itself")
        _loadable(source)
        quantize_int8(source, tmp, recipe)
        return
    cached = ensure_export(source, "fp32" if precision == "fp32" else "int8", recipe,
                           where=str(source))
    shutil.copytree(cached, tmp, dirs_exist_ok=True)


def _loadable(export_dir: Path) -> None:
    """A user's export whose model.onnx onnxruntime cannot read fails here, with its path."""
    from embedgate.embedders.onnx.runtime import OnnxEncoder

    OnnxEncoder(export_dir)
