"""Content hashes of model artifacts, memoised by (path, size, mtime) within a process."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".gguf", ".pt", ".pth")


@lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    st = path.stat()
    return _file_sha256(str(path), st.st_size, st.st_mtime_ns)


def weights_sha256(model_dir: Path) -> str:
    """One hash over every weight file (and the configs that change outputs) in a model dir."""
    files = sorted(p for p in model_dir.rglob("*") if p.is_file() and (
        p.suffix in WEIGHT_SUFFIXES or p.name in ("config.json", "tokenizer.json", "modules.json")))
    digest = hashlib.sha256()
    for p in files:
        digest.update(str(p.relative_to(model_dir)).encode() + b"\0" + file_sha256(p).encode())
    return digest.hexdigest()
