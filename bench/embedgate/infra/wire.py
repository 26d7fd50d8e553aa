"""JSON from the wire with every number finite: NaN, ±Infinity and overflowing literals
(``1e999``) are refused where the reply is parsed, so no endpoint can slip a non-finite score
or vector component into a ranking. Python's json accepts all three by default."""
from __future__ import annotations

import json
import math
from typing import Any


class NonFiniteNumber(ValueError):
    """A JSON body held NaN, Infinity or a number too large for a float."""


def _constant(name: str) -> float:
    raise NonFiniteNumber(f"non-finite number {name}")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NonFiniteNumber(f"non-finite number {text[:40]}")
    return value


def _int(text: str) -> int:
    # A whole number beyond the float range turns into inf as soon as it meets numpy.
    if len(text) > 310 or abs(value := int(text)) > 1.7976931348623157e308:
        raise NonFiniteNumber(f"number too large for a float: {text[:40]}…")
    return value


def loads_finite(body: bytes | str) -> Any:
    """`json.loads` that raises NonFiniteNumber for NaN, ±Infinity or an overflowing number;
    json.JSONDecodeError / UnicodeDecodeError for malformed bodies as usual.

    >>> loads_finite(b'{"score": 0.5}')
    {'score': 0.5}
    """
    return json.loads(body, parse_constant=_constant, parse_float=_float,
                      parse_int=_int)
