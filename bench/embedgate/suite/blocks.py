"""The keys a block of a suite (or recipe) may hold, found by walking the schema along an error's
location, so "did you mean" suggests a key of the block being validated, never one of another
block (a misspelt key under `embedders[0]` must not be offered a tier's `metrics`)."""
from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel


def _members(tp: Any) -> list[Any]:
    """`tp` without Annotated / Optional / Union wrappers: the concrete types it may be."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(tp) for m in _members(arg)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tags(model: type[BaseModel]) -> set[str]:
    """The names pydantic may put in a location for a union member: class and Literal tags."""
    tags = {model.__name__}
    for field in model.model_fields.values():
        if typing.get_origin(field.annotation) is typing.Literal:
            tags.update(str(v) for v in typing.get_args(field.annotation))
    return tags


def _step(tp: Any, part: str | int) -> list[Any]:
    origin = typing.get_origin(tp)
    if isinstance(part, int):
        return [typing.get_args(tp)[0]] if origin in (list, tuple) and typing.get_args(tp) else []
    if origin is dict and typing.get_args(tp):
        return [typing.get_args(tp)[1]]
    if _is_model(tp):
        if part in tp.model_fields:
            return [tp.model_fields[part].annotation]
        if part in _tags(tp):  # a union tag: the location stays in this member
            return [tp]
    return []


def block_fields(root: type[BaseModel], loc: tuple[str | int, ...]) -> set[str] | None:
    """Field names of the model(s) at `loc` (pydantic's raw location, tags included) under
    `root`; None when the walk loses its way (a plugin's free-form params, say)."""
    current: list[Any] = [root]
    for part in loc:
        current = [nxt for tp in current for m in _members(tp) for nxt in _step(m, part)]
        if not current:
            return None
    models = [m for tp in current for m in _members(tp) if _is_model(m)]
    return {name for m in models for name in m.model_fields} if models else None
