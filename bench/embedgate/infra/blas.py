"""BLAS thread control for the small dense algebra of the intent and space-map tiers.

Their matrices are small (hundreds to a few thousand rows), where OpenBLAS threads buy
nothing and, beside torch's busy thread pool on a loaded machine, made one 326×512 SVD take
6 s instead of 0.07 s (measured here). Limits apply only inside the `with` block.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any


def single_threaded_blas() -> AbstractContextManager[Any]:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
