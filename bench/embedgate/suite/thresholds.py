"""The small languages of gate thresholds: ``">= 0.55"``, ``"<= 120 ms"``, ``0.01``, ``"2%"``.

Parsed once when the suite is validated, so a typo fails before any model runs.

>>> parse_bound(">= 0.55")
Bound(op='>=', value=0.55, unit='')
>>> parse_bound("<= 120 ms").holds(118.0)
True
>>> parse_drop("2%")
Drop(amount=0.02, relative=True)
>>> parse_drop(0.01).allowed(0.6)
0.01
"""
from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_BOUND = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")
# Values that equal the threshold up to float rounding count as meeting it.
_EPS = 1e-12


@dataclass(frozen=True)
class Bound:
    """An absolute bound on a metric value, with an optional unit that must match the metric's."""

    op: str
    value: float
    unit: str = ""

    def holds(self, x: float) -> bool:
        tol = _EPS * max(1.0, abs(self.value))
        if self.op == ">=":
            return x >= self.value - tol
        if self.op == "<=":
            return x <= self.value + tol
        return _OPS[self.op](x, self.value)

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}" + (f" {self.unit}" if self.unit else "")


def parse_bound(text: object) -> Bound:
    """Parse ``"<op> <number> [unit]"``; ValueError with an example otherwise."""
    match = _BOUND.match(str(text)) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"absolute bound {text!r} is not '<op> <number> [unit]'; "
                         'write e.g. ">= 0.55" or "<= 120 ms" (quoted in YAML)')
    value = float(match.group(2))
    if not math.isfinite(value):  # 1e999 reads as inf, and every value would then pass or fail
        raise ValueError(f"absolute bound {text!r} is not a finite number; write e.g. \">= 0.55\"")
    return Bound(op=match.group(1), value=value, unit=match.group(3))


@dataclass(frozen=True)
class Drop:
    """The largest tolerated worsening versus the baseline: absolute, or relative to it."""

    amount: float
    relative: bool

    def allowed(self, baseline: float) -> float:
        return self.amount * abs(baseline) if self.relative else self.amount

    def __str__(self) -> str:
        return f"{self.amount * 100:g}%" if self.relative else f"{self.amount:g}"


def parse_drop(text: object) -> Drop:
    """Parse ``0.01`` (absolute, in the metric's units) or ``"2%"`` (relative to the baseline)."""
    if isinstance(text, bool):
        # ValueError, not TypeError: pydantic reports ValueErrors as validation messages.
        raise ValueError(f"max_drop {text!r} is not a number; write 0.01 or \"2%\"")  # noqa: TRY004
    if isinstance(text, (int, float)):
        amount, relative = float(text), False
    elif isinstance(text, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*%\s*", text):
        amount, relative = float(text.strip().rstrip("%")) / 100.0, True
    else:
        try:
            amount, relative = float(str(text)), False
        except ValueError:
            raise ValueError(f"max_drop {text!r} is not a number or a percentage; "
                             'write 0.01 (absolute) or "2%" (relative to the baseline)') from None
    if not math.isfinite(amount):  # "nan", "inf", 1e999: no baseline comparison could fail
        raise ValueError(f"max_drop {text!r} is not a finite number; write 0.01 or \"2%\"")
    if amount < 0:
        raise ValueError(f"max_drop {text!r} is negative; give the tolerated drop as >= 0")
    return Drop(amount=amount, relative=relative)
