"""`embedgate bench scifact` plumbing on a tiny BEIR sample (the real run is the whole of
SciFact; its figures are in docs/performance.md)."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.benchmarks.common import sample_beir
from embedgate.cli.entry import main

from tests.conftest import FIXTURES


def _bench(tmp_path: Path, capsys, *extra: str) -> list[str]:
    data = sample_beir(FIXTURES / "domain", tmp_path / "s", n_docs=20, n_queries=4,
                       splits=["test"], seed=2)
    assert main(["bench", "scifact", "--data", str(data), "--threads", "1", *extra]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "20 passages + 4 queries" in lines[0] and lines[1].startswith("load average")
    assert lines[-1].endswith("(at end)")
    return lines


def _row(lines: list[str], name: str) -> list[str]:
    return next(line for line in lines if line.startswith(name + " "))[len(name):].split()


def test_suite_vs_raw_encode_on_a_sample(tmp_path: Path, capsys) -> None:
    lines = _bench(tmp_path, capsys, "--skip-onnx")
    raw, suite = _row(lines, "raw encode"), _row(lines, "suite, cold cache")
    assert raw[2:4] == ["1.000", "1.000"]  # wall / raw, CPU / raw
    wall, cpu, wall_ratio = (float(v) for v in suite[:3])
    assert wall > 0 and cpu > 0 and wall_ratio == pytest.approx(wall / float(raw[0]), rel=0.01)
    assert float(suite[4]) > 0 and 0.0 <= float(suite[5]) <= 1.0  # encode s, nDCG@10
    assert not any(line.startswith("(2)") for line in lines)


@pytest.mark.slow  # builds the FP32 and INT8 exports of MiniLM (shared with other ONNX tests)
@pytest.mark.usefixtures("shared_onnx_cache")
def test_int8_vs_fp32_on_a_sample(tmp_path: Path, capsys) -> None:
    lines = _bench(tmp_path, capsys)
    fp32, int8 = _row(lines, "onnx-fp32"), _row(lines, "onnx-int8")
    assert all(0.0 <= float(v) <= 1.0 for v in fp32[:2] + int8[:2])  # nDCG@10, RR@10
    assert float(fp32[3]) > 0 and float(int8[3]) > 0  # texts/s
    summary = next(line for line in lines if line.startswith("INT8 vs FP32:"))
    assert "relative nDCG@10 loss" in summary and "encode throughput" in summary
