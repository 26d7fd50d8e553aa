"""Decoding vendors' quantised embeddings into float vectors, honestly.

- ``int8``: scalar-quantised values in [-128, 127]; taken as floats as they are. The vendor's
  per-dimension scale is not sent, so the decoded vector is the quantised one, not the float
  original: cosine on it is what a user storing int8 would get.
- ``binary``: one bit per dimension, packed eight to a byte, most significant bit first, sent
  as signed int8 with the "offset binary" convention of Cohere and Voyage (and
  sentence-transformers' ``quantize_embeddings``): ``int8 = packed_uint8 - 128``. A set bit
  becomes +1, a clear bit -1, so the decoded vector has 8x as many dimensions as bytes sent,
  and cosine on it is a monotone function of Hamming distance.

Rows are L2-normalised by the embedder afterwards, like every other output. Values that are not
integers in range raise ValueError (a vendor answer of the wrong shape).
"""
from __future__ import annotations

from typing import Any

import numpy as np


def as_int8(rows: Any) -> np.ndarray:
    """Rows of int8 values as a float32 matrix; ValueError when a value is not an int8."""
    values = np.asarray(rows, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"int8 embeddings have ragged rows {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("int8 embeddings hold NaN or infinite values")
    if (values != np.round(values)).any() or values.min(initial=0) < -128 \
            or values.max(initial=0) > 127:
        raise ValueError("int8 embeddings hold values that are not integers in [-128, 127]")
    return values.astype(np.float32)


def from_binary(rows: Any) -> np.ndarray:
    """Packed signed bits (offset binary, MSB first) as ±1 float32 rows of 8x the length."""
    packed = (as_int8(rows).astype(np.int16) + 128).astype(np.uint8)
    bits = np.unpackbits(packed, axis=1)
    return bits.astype(np.float32) * 2.0 - 1.0


def decode(rows: Any, dtype: str) -> np.ndarray:
    """float32 rows from a vendor's `dtype` ("float", "int8" or "binary")."""
    if dtype == "int8":
        return as_int8(rows)
    if dtype == "binary":
        return from_binary(rows)
    return np.asarray(rows, dtype=np.float32)
