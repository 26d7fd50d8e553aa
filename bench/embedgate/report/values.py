"""A metric value as text: four decimals, except money, which keeps three significant digits.

Costs per 1,000 queries are often fractions of a cent, where four decimals would print 0.0000.

>>> value_text(0.6543219, ""), value_text(0.000143261, "USD"), value_text(-0.0112, "USD", True)
('0.6543', '0.000143', '-0.0112')
"""
from __future__ import annotations

import math

MONEY = frozenset({"USD"})


def value_text(value: float, unit: str, signed: bool = False) -> str:
    """`value` in the unit's usual precision; `signed` adds a + to positive values."""
    sign = "+" if signed else ""
    if unit not in MONEY or value == 0 or not math.isfinite(value):
        return f"{value:{sign}.4f}"
    digits = min(12, max(4, 2 - math.floor(math.log10(abs(value)))))
    return f"{value:{sign}.{digits}f}"
