"""The on-disk ONNX export format and its cache: what an export directory holds, where it lives.

An export directory holds `model.onnx`, `tokenizer.json` (the model's own fast tokenizer exactly
as sentence-transformers configures it, lower-casing included) and `embedgate-onnx.json`
(`ExportMeta`: pooling, limits, the recipe, the checks it passed). This module reads and checks
such directories, names cache entries (`cache_root()` / source key / `entry_name`) and publishes
a finished build by one `rename` (`fresh_tmp` → `publish_dir`), so a reader never sees half an
export and two runs building the same entry at once cannot corrupt it. Building exports is
`export`; running them is `runtime`. Nothing here imports torch or onnxruntime.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from embedgate.infra import atomic
from embedgate.infra.cpu import int8_saturates
from embedgate.infra.errors import InputError
from embedgate.infra.hashing import file_sha256

log = logging.getLogger("embedgate")

EXPORT_VERSION = 1  # bump when the export or quantisation code changes what it writes
OPSET = 17
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "embedgate-onnx.json"
POOLING_MODES = ("cls", "mean", "max", "mean_sqrt_len_tokens")
Precision = Literal["fp32", "int8"]


@dataclass(frozen=True)
class QuantRecipe:
    """onnxruntime dynamic quantisation settings.

    Dynamic quantisation always quantises activations to uint8 at run time; the choices that
    remain are the weight type, per-channel scales, 7-bit weights (`reduce_range`, for CPUs
    without VNNI) and which operator types get quantised ("Gather" = the embedding table).
    """

    weight_type: Literal["qint8", "quint8"] = "qint8"
    per_channel: bool = True
    reduce_range: bool = False
    op_types: tuple[str, ...] = ("MatMul", "Attention", "EmbedLayerNormalization", "Gather")

    def key(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


# Chosen with scripts/int8_options.py on m3e-small and all-MiniLM-L6-v2; see docs/tiers/perf.md.
# 7-bit weights only where this CPU's INT8 kernels saturate (see infra/cpu.py): the recipe is
# part of the export's cache key and meta, so exports made either way never mix.
DEFAULT_INT8 = QuantRecipe(reduce_range=int8_saturates())


class ExportMeta(BaseModel):
    """What `embedgate-onnx.json` says about an export; read back to run it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    export_version: int
    precision: Precision
    source: str
    source_key: str
    pooling: str
    model_normalizes: bool
    max_seq_length: int
    dim: int
    input_names: list[str]
    opset: int
    recipe: dict[str, Any] | None = None
    check: dict[str, Any]
    fusions: dict[str, int] = {}
    onnx_bytes: int
    onnx_sha256: str
    versions: dict[str, str]


# ---------------------------------------------------------------- cache location and keys

def cache_root() -> Path:
    """Where exports are cached: `$EMBEDGATE_ONNX_CACHE_DIR`, else `$EMBEDGATE_CACHE_DIR/onnx`,
    else the platform's user cache dir (`…/embedgate/onnx`, platformdirs)."""
    own = os.environ.get("EMBEDGATE_ONNX_CACHE_DIR")
    if own:
        return Path(own).expanduser()
    env = os.environ.get("EMBEDGATE_CACHE_DIR")
    if env:
        return Path(env).expanduser() / "onnx"
    import platformdirs

    return Path(platformdirs.user_cache_dir("embedgate")) / "onnx"


def source_key(model_dir: Path) -> str:
    """Hash of every file that can change outputs (weights, configs, tokenizer, pooling)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        if path.suffix == ".md" or path.name.startswith("."):
            continue  # model cards and git attributes do not change vectors
        rel = str(path.relative_to(model_dir)).encode()
        digest.update(rel + b"\0" + file_sha256(path).encode())
    return digest.hexdigest()


def entry_name(precision: Precision, recipe: QuantRecipe) -> str:
    return f"{precision}-v{EXPORT_VERSION}" + (f"-{recipe.key()}" if precision == "int8" else "")


# ---------------------------------------------------------------- reading and checking exports

def read_meta(export_dir: Path) -> ExportMeta:
    """Parse an export's metadata; InputError names the directory when it is not an export."""
    path = export_dir / META_FILE
    try:
        return ExportMeta.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{export_dir}: not an ONNX export directory (no {META_FILE}); "
                         "create one with `embedgate quantize MODEL --out DIR`") from None
    except (ValidationError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: unreadable export metadata ({first_line(exc)}); "
                         "re-create the export with `embedgate quantize`") from None


def check_export(export_dir: Path) -> ExportMeta:
    """Metadata parses, files exist and model.onnx has the recorded size and hash."""
    meta = read_meta(export_dir)
    model = export_dir / MODEL_FILE
    if not (export_dir / TOKENIZER_FILE).is_file():
        raise InputError(f"{export_dir}: {TOKENIZER_FILE} is missing; re-create the export")
    if not model.is_file() or model.stat().st_size != meta.onnx_bytes \
            or file_sha256(model) != meta.onnx_sha256:
        raise InputError(f"{model}: missing or corrupt (size or sha256 differs from {META_FILE}); "
                         "re-create the export with `embedgate quantize`")
    return meta


def write_meta(out: Path, meta: ExportMeta) -> None:
    """Write `embedgate-onnx.json` atomically."""
    atomic.write_json(out / META_FILE, meta.model_dump(mode="json"))


# ---------------------------------------------------------------- building and publishing entries

def fresh_tmp(root: Path) -> Path:
    """A private build directory beside the entry it will become (same file system: rename)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        remove_stale_tmp(root)
        return Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    except OSError as exc:
        raise InputError(f"{root}: cannot write the ONNX export cache ({exc.strerror}); set "
                         "EMBEDGATE_ONNX_CACHE_DIR (or EMBEDGATE_CACHE_DIR) to a writable "
                         "folder") from None


def remove_stale_tmp(root: Path, max_age_s: float = 86400.0) -> None:
    """Temporary dirs left by killed runs; only old ones, a live run may own a young one."""
    for tmp in root.glob(".tmp-*"):
        try:
            if time.time() - tmp.stat().st_mtime > max_age_s:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            continue


def publish_dir(tmp: Path, final: Path) -> Path:
    """Atomically move a finished directory into place; if another run won the race, keep its."""
    try:
        os.rename(tmp, final)
    except OSError:
        if not final.is_dir():
            raise
        log.info("%s was published by another run meanwhile; using it", final)
    return final


def first_line(exc: BaseException) -> str:
    """An exception's first line (at most 300 characters), for one-line error messages."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
