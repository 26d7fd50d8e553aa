"""Name → factory registry for embedder kinds; the catalog registers built-ins, entry points plugins.

A factory is called as ``factory(spec, env)`` and returns an object satisfying
`embedders.base.Embedder`. `BuildEnv` carries what a factory may need beyond its own spec:
where the spec sits in the suite (for error lines), the suite itself (to resolve paths or
other embedders, e.g. an ONNX export `from:` a sentence-transformers embedder), progress.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from embedgate.embedders.base import Embedder
from embedgate.infra.errors import InputError, did_you_mean
from embedgate.infra.plugins import load_factory, plugin_kinds
from embedgate.infra.registry import Registry
from embedgate.infra.textio import resolve_under
from embedgate.suite import EmbedderSpec, PluginSpec

SpecT = TypeVar("SpecT", contravariant=True)


@dataclass(frozen=True)
class BuildEnv:
    where: str
    progress: bool = True
    base_dir: Path = Path(".")
    specs: dict[str, EmbedderSpec] = field(default_factory=dict)  # the suite's specs by id
    threads: int | None = None  # the run's CPU threads, for backends that take them at load

    def resolve(self, path: str | Path) -> Path:
        p = Path(path)
        return resolve_under(self.base_dir, p)


class EmbedderFactory(Protocol[SpecT]):
    """Builds an embedder from its validated spec; an embedder class with this __init__ is one."""

    def __call__(self, spec: SpecT, env: BuildEnv) -> Embedder: ...


# Every kind, built-in ones included, is registered by the composition root (run/catalog.py)
# or found through a plugin's entry point: this module names no implementation.
EMBEDDERS: Registry[EmbedderFactory[Any]] = Registry("embedder")


def register_embedder(kind: str, factory: EmbedderFactory[Any]) -> None:
    """Make `kind` buildable; `run.catalog.install` calls this for every built-in kind."""
    EMBEDDERS.register(kind, factory)


def embedder_factory(kind: str) -> EmbedderFactory[Any]:
    registered = EMBEDDERS.get(kind)
    if registered is not None:
        return registered
    builtin = tuple(EMBEDDERS.kinds())
    factory = load_factory(kind, builtin)
    if factory is None:
        known = sorted(set(builtin) | set(plugin_kinds(builtin)))
        raise InputError(f'embedder kind "{kind}" has no implementation installed'
                         f"{did_you_mean(kind, known)}; available: {', '.join(known)}")
    register_embedder(kind, cast("EmbedderFactory[PluginSpec]", factory))
    return cast("EmbedderFactory[Any]", factory)


def build_embedder(spec: EmbedderSpec, env: BuildEnv) -> Embedder:
    """Instantiate the embedder a validated spec describes."""
    return embedder_factory(spec.kind)(spec, env)
