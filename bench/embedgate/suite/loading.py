"""Pydantic errors to one file:line message with a fix (did-you-mean); shared with recipes."""
from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from embedgate.infra.errors import InputError, did_you_mean
from embedgate.infra.urls import redact_url
from embedgate.suite.base import Spec
from embedgate.suite.blocks import block_fields
from embedgate.suite.yamlsrc import Loc, YamlDoc, load_yaml

ModelT = TypeVar("ModelT", bound=BaseModel)


def yaml_type(value: Any) -> str:
    """What YAML calls a value's type, for "must be a mapping, not a …" messages."""
    return ("list" if isinstance(value, list) else "mapping" if isinstance(value, dict)
            else "text value" if isinstance(value, str) else "scalar")


def load_mapping(path: Path, what: str, start: str) -> YamlDoc:
    """Read a YAML file that must hold a mapping (a suite, a recipe); `start` says its keys."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        got = "an empty file" if doc.data is None else f"a YAML {yaml_type(doc.data)}"
        raise InputError(f"{path}:1: a {what} must be a YAML mapping, not {got}; start it with "
                         f"the keys {start}")
    return doc


def validate(model: type[ModelT], doc: YamlDoc) -> ModelT:
    """`model` from the document's data; a validation error becomes one file:line InputError."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(explain(exc, doc, model)) from None


def _all_field_names() -> set[str]:
    names: set[str] = set()
    todo: list[type[BaseModel]] = [Spec]
    while todo:
        cls = todo.pop()
        names.update(cls.model_fields)
        todo.extend(cls.__subclasses__())
    return names


def yaml_loc(loc: tuple[Any, ...], doc: YamlDoc, keep_last: bool = True) -> Loc:
    """Drop pydantic's union tags (`plugin`, `float`) from an error location, keeping the YAML
    path; the last part is kept even when absent from the file only if `keep_last` (a missing
    key is absent by definition)."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        candidate = tuple(out) + (part,)
        if (candidate in doc.lines or isinstance(part, int)
                or (keep_last and i == len(loc) - 1)):
            out.append(part)
    return tuple(out)


def explain(exc: ValidationError, doc: YamlDoc, model: type[BaseModel] | None = None) -> str:
    # A misspelt key also makes the real key "missing"; the misspelling is the cause to report.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    kind = err["type"]
    loc = yaml_loc(tuple(err["loc"]), doc, keep_last=kind in ("missing", "extra_forbidden"))
    where = doc.where(loc)
    dotted = _dotted(loc) or "suite"
    if kind == "invalid_key":  # YAML read the key as a number, null or true/false
        return (f"{where}: key {_short(err.get('input'))} in {_dotted(loc[:-1]) or 'suite'} is "
                "not text; quote it or remove it")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        # suggest only keys of this block (a key of another block would point the wrong way)
        scoped = block_fields(model, tuple(err["loc"])[:-1]) if model is not None else None
        known = scoped if scoped is not None else _all_field_names()
        return (f'{where}: unknown key "{key}" in {_dotted(loc[:-1]) or "suite"}'
                f"{did_you_mean(key, known - {key})}; remove it or fix the spelling")
    if kind == "missing":
        return (f'{where}: missing required key "{loc[-1]}" in {_dotted(loc[:-1]) or "suite"}; '
                "add it")
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind in ("value_error", "assertion_error"):
        return f"{where}: {dotted}: {msg}" + ("" if ";" in msg else "; fix the value")
    return f"{where}: {dotted} = {_short(err.get('input'))}: {msg}; {_fix_hint(err)}"


# How to fix each pydantic error type (its own message says only what is wrong).
_TYPE_HINTS = {
    "list_type": "write a YAML list (one `- item` per line, or [a, b])",
    "tuple_type": "write a YAML list (one `- item` per line, or [a, b])",
    "dict_type": "write a YAML mapping (key: value lines)",
    "model_type": "write a YAML mapping (key: value lines)",
    "model_attributes_type": "write a YAML mapping (key: value lines)",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "int_from_float": "write a whole number",
    "float_type": "write a number",
    "float_parsing": "write a number",
    "finite_number": "write a finite number",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "path_type": "write a file path",
    "string_type": "write text (quote it if YAML reads it as a number, date or list)",
    "literal_error": "use one of the values listed",
    "enum": "use one of the values listed",
    "string_pattern_mismatch": "use letters, digits and _.+- (or the form the key documents)",
    "string_too_short": "give a non-empty value",
    "string_too_long": "shorten it",
    "too_short": "add the missing items",
    "too_long": "remove items",
    "union_tag_invalid": "use one of the expected tags",
    "union_tag_not_found": "add the key that says which kind this is",
}
_BOUND_WORDS = {"gt": "above", "ge": "at least", "lt": "below", "le": "at most"}


def _fix_hint(err: Any) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "union_tag_not_found" and "discriminator" in ctx:
        return f"add the key {ctx['discriminator']} that says which kind this is"
    if err["type"] == "union_tag_invalid" and "expected_tags" in ctx:
        return f"use one of {ctx['expected_tags']}"
    for key, word in _BOUND_WORDS.items():
        if key in ctx:
            return f"use a value {word} {ctx[key]}"
    return _TYPE_HINTS.get(err["type"], "fix the value")


def _short(value: Any, limit: int = 60) -> str:
    """repr of a rejected input, cut so a huge list cannot flood the one error line."""
    text = redact_url(repr(value))  # a rejected URL's user:password@ stays out of the line
    return text if len(text) <= limit else text[:limit] + "…"


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
