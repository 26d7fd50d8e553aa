"""Third-party embedder kinds, discovered through the entry-point group ``embedgate.embedders``.

A plugin distribution declares, in its pyproject.toml::

    [project.entry-points."embedgate.embedders"]
    my-kind = "my_package.embedder:MyEmbedder"

and a suite then uses it like a built-in kind, with the plugin's settings under ``params``::

    embedders:
      - id: mine
        kind: my-kind
        params: {dim: 256}

The entry point names a factory called as ``factory(spec, env)`` (``spec`` is a
`config.PluginSpec`, ``env`` a `registry.BuildEnv`) that returns an object satisfying
`embedders.base.Embedder`. A class works as the factory. If the factory has an attribute
``params_model`` (a pydantic model class), ``params`` is validated against it when the suite
loads, so a typo fails in the first second with its file:line; the factory then reads its
settings with ``MyEmbedder.params_model.model_validate(spec.params)``.

Built-in kinds win over a plugin of the same name (a warning says so).
"""
from __future__ import annotations

import logging
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel

from embedgate.infra.errors import InfraError

GROUP = "embedgate.embedders"
log = logging.getLogger(__name__)


def plugin_entry_points(builtin: tuple[str, ...] | set[str] = ()) -> dict[str, EntryPoint]:
    """Installed plugin kinds by name, minus those that would shadow a built-in kind."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in builtin:
            log.warning('plugin "%s" (%s) ignored: a built-in embedder kind has that name',
                        ep.name, ep.value)
        elif ep.name in found and found[ep.name].value != ep.value:
            log.warning('two plugins claim kind "%s" (%s, %s); using the first', ep.name,
                        found[ep.name].value, ep.value)
        else:
            found.setdefault(ep.name, ep)
    return found


def plugin_kinds(builtin: tuple[str, ...]) -> list[str]:
    """Names of the installed plugin kinds, minus the `builtin` ones (the caller knows those)."""
    return sorted(plugin_entry_points(builtin))


def load_factory(kind: str, builtin: tuple[str, ...]) -> Any | None:
    """The factory a plugin registers for `kind`, or None when no plugin provides it."""
    ep = plugin_entry_points(builtin).get(kind)
    if ep is None:
        return None
    try:
        factory = ep.load()
    except Exception as exc:  # a broken plugin is the environment's fault, not the suite's
        dist = ep.dist.name if ep.dist is not None else "?"
        raise InfraError(f'embedder plugin "{kind}" ({ep.value}, distribution {dist}) failed '
                         f"to import: {type(exc).__name__}: {exc}") from None
    if not callable(factory):
        raise InfraError(f'embedder plugin "{kind}" ({ep.value}) is not callable; it must '
                         "name a factory(spec, env) or an embedder class")
    return factory


def params_model(factory: Any) -> type[BaseModel] | None:
    """The pydantic model a plugin validates its ``params`` with, if it declares one."""
    model = getattr(factory, "params_model", None)
    if model is None:
        return None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise InfraError(f"{factory!r}.params_model must be a pydantic BaseModel subclass")
    return model
