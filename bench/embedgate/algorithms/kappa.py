"""Agreement between two labellers of the same items: Cohen's kappa and the confusion matrix.

kappa = (p_o - p_e) / (1 - p_e), p_o the observed agreement and p_e the agreement expected from
the two labellers' marginal frequencies (Cohen 1960). NaN when p_e = 1 (both used one label
only), where agreement beyond chance is undefined.

>>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 3)
0.5
>>> confusion([1, 1, 0, 0], [1, 0, 0, 0], [0, 1])
[[2, 0], [1, 1]]
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def cohen_kappa(a: Sequence[int], b: Sequence[int]) -> float:
    """Cohen's kappa of two equally long label lists."""
    if len(a) != len(b):
        raise ValueError("both labellers must label the same items")
    n = len(a)
    if n == 0:
        return float("nan")
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return float("nan") if expected == 1.0 else (observed - expected) / (1.0 - expected)


def confusion(truth: Sequence[int], other: Sequence[int], labels: Sequence[int]) -> list[list[int]]:
    """Rows: ``truth``'s label; columns: ``other``'s, both in ``labels`` order."""
    pos = {label: i for i, label in enumerate(labels)}
    out = [[0] * len(labels) for _ in labels]
    for t, o in zip(truth, other):
        out[pos[t]][pos[o]] += 1
    return out
