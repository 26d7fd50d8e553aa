"""INT8 saturation detection: 7-bit weights exactly where x86 INT8 kernels lack VNNI."""
from __future__ import annotations

import pytest

from embedgate.embedders.onnx.artifact import DEFAULT_INT8
from embedgate.infra.cpu import cpu_flags, int8_saturates


@pytest.mark.parametrize(("flags", "machine", "expected"), [
    ({"sse4_2", "avx2"}, "x86_64", True),  # AVX2 only: VPMADDUBSW sums saturate
    ({"avx2", "avx512f", "avx512_vnni"}, "x86_64", False),
    ({"avx2", "avx_vnni"}, "AMD64", False),
    ({"asimd", "asimddp"}, "aarch64", False),  # ARM kernels do not saturate
    (set(), "x86_64", False),  # unknown flags: keep the recipe as documented
])
def test_int8_saturates(flags: set[str], machine: str, expected: bool) -> None:
    assert int8_saturates(frozenset(flags), machine) is expected


def test_default_recipe_follows_this_cpu() -> None:
    assert DEFAULT_INT8.reduce_range is int8_saturates()
    assert isinstance(cpu_flags(), frozenset)
