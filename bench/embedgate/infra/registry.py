"""A typed name -> entry table that kinds are registered into, built-in and third-party alike.

The composition root (`run/catalog.py`) registers every built-in kind through `register`, the
same call a plugin's entry point leads to, so a registry never names an implementation and
no built-in kind has a privilege a plugin lacks. Lookups of an unregistered name return None;
the caller words the error, since only it knows where the name came from.

>>> r: Registry[int] = Registry("tier")
>>> r.register("retrieval", 1)
>>> r.get("retrieval"), r.get("nope"), r.kinds()
(1, None, ['retrieval'])
"""
from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Kinds of one family (embedders, tiers, QA readers) by name, in registration order."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._entries: dict[str, T] = {}

    def register(self, kind: str, entry: T) -> None:
        """Add or replace `kind` (a later registration wins, as with plugins overriding)."""
        self._entries[kind] = entry

    def get(self, kind: str) -> T | None:
        return self._entries.get(kind)

    def kinds(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, kind: object) -> bool:
        return kind in self._entries
