"""CPU features that change numerical results (read from /proc/cpuinfo; no third-party code).

onnxruntime's x86 INT8 kernels multiply uint8 activations by int8 weights with VPMADDUBSW on
CPUs without VNNI, whose int16 sums saturate: measured here on an AVX2-only AMD EPYC, the
default per-channel QInt8 export of m3e-small fell to cosine 0.82 against FP32, where a VNNI
CPU gives 0.997. 7-bit weights (`reduce_range`) keep those sums in range.
"""
from __future__ import annotations

import platform
from functools import lru_cache
from pathlib import Path

VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The `flags` of the first processor in /proc/cpuinfo; empty where there is none."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def int8_saturates(flags: frozenset[str] | None = None, machine: str | None = None) -> bool:
    """True on x86 CPUs whose INT8 dot products saturate (no VNNI): use 7-bit weights there.

    >>> int8_saturates(frozenset({"avx2"}), "x86_64"), int8_saturates(frozenset(), "aarch64")
    (True, False)
    """
    arch = (machine or platform.machine()).lower()
    if arch not in ("x86_64", "amd64", "i686", "x86"):
        return False
    found = cpu_flags() if flags is None else flags
    return bool(found) and not (found & VNNI_FLAGS)
