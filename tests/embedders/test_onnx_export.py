"""ONNX export: parity with torch, INT8 drift and size, the export cache, pooling maths."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest

from embedgate.embedders.onnx.artifact import (
    MODEL_FILE, cache_root, check_export, publish_dir, read_meta,
)
from embedgate.embedders.onnx.export import ensure_export
from embedgate.embedders.onnx.runtime import pool
from embedgate.infra.packaged import resolve
from embedgate.embedders.registry import build_embedder

from tests.conftest import FIXTURES
from tests.helpers.onnx import M3E, m3e_env

pytestmark = pytest.mark.usefixtures("shared_onnx_cache")  # one export cache


def _texts(n: int = 48) -> list[str]:
    """Real passages and queries of the bilingual fixtures (not the exporter's check sample)."""
    import json

    def rows(name: str) -> list[dict[str, str]]:
        return [json.loads(x) for x in (FIXTURES / "domain" / name).read_text().splitlines()]

    docs, queries = rows("corpus.jsonl"), rows("queries.jsonl")
    return [d["text"] for d in docs[: n // 2]] + [q["text"] for q in queries[: n // 2]]


@pytest.mark.slow
def test_fp32_onnx_reproduces_torch() -> None:
    specs, env = m3e_env()
    texts = _texts()
    torch_vecs = build_embedder(specs["torch"], env).encode(texts, "passage")
    onnx = build_embedder(specs["fp32"], env)
    cos = np.sum(torch_vecs * onnx.encode(texts, "passage"), axis=1)
    assert cos.min() >= 0.9999, cos.min()
    assert onnx.info.backend == "onnxruntime" and onnx.info.precision == "fp32"
    assert onnx.info.max_seq_length == 128 and onnx.info.pooling == "mean"  # m3e: no modules.json
    assert onnx.info.extra["check"]["min_cosine"] >= 0.9999


@pytest.mark.slow
def test_int8_drift_and_size_within_bounds() -> None:
    specs, env = m3e_env()
    texts = _texts()
    fp32, int8 = build_embedder(specs["fp32"], env), build_embedder(specs["int8"], env)
    cos = np.sum(fp32.encode(texts, "passage") * int8.encode(texts, "passage"), axis=1)
    assert cos.mean() >= 0.99 and cos.min() >= 0.97, (cos.mean(), cos.min())
    assert cos.mean() < 0.99999  # really quantised, not a copy of FP32
    assert int8.info.extra["onnx_bytes"] <= 0.3 * fp32.info.extra["onnx_bytes"]
    assert int8.info.extra["recipe"]["per_channel"] is True


@pytest.mark.slow
def test_export_cache_hits_and_heals_a_corrupt_entry(caplog: pytest.LogCaptureFixture) -> None:
    model_dir = resolve(M3E)
    first = ensure_export(model_dir, "int8")
    stamp = (first / MODEL_FILE).stat().st_mtime_ns
    assert ensure_export(model_dir, "int8") == first
    assert (first / MODEL_FILE).stat().st_mtime_ns == stamp  # a hit: nothing rebuilt
    with open(first / MODEL_FILE, "r+b") as fh:  # flip bytes in the middle of the weights
        fh.seek(1_000_000)
        fh.write(b"\0" * 64)
    with caplog.at_level(logging.WARNING, logger="embedgate"):
        healed = ensure_export(model_dir, "int8")
    assert "corrupt" in caplog.text
    check_export(healed)
    assert read_meta(healed).check["mean_cosine"] >= 0.99
    assert not list(healed.parent.glob(".tmp-*"))  # the build dir was published, not left


def test_cache_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EMBEDGATE_ONNX_CACHE_DIR", str(tmp_path / "own"))
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "all"))
    assert cache_root() == tmp_path / "own"
    monkeypatch.delenv("EMBEDGATE_ONNX_CACHE_DIR")
    assert cache_root() == tmp_path / "all" / "onnx"
    monkeypatch.delenv("EMBEDGATE_CACHE_DIR")
    assert cache_root().parts[-2:] == ("embedgate", "onnx")


def test_publish_keeps_the_winner_of_a_race(tmp_path: Path) -> None:
    final = tmp_path / "entry"
    winner, loser = tmp_path / ".tmp-a", tmp_path / ".tmp-b"
    for d, text in ((winner, "first"), (loser, "second")):
        d.mkdir()
        (d / "f").write_text(text)
    assert publish_dir(winner, final) == final
    assert publish_dir(loser, final) == final
    assert (final / "f").read_text() == "first"


def test_pooling_modes_by_hand() -> None:
    hidden = np.array([[[1.0, 2.0], [3.0, 6.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])  # the third token is padding and must not count
    assert pool(hidden, mask, "mean").tolist() == [[2.0, 4.0]]
    assert pool(hidden, mask, "cls").tolist() == [[1.0, 2.0]]
    assert pool(hidden, mask, "max").tolist() == [[3.0, 6.0]]
    np.testing.assert_allclose(pool(hidden, mask, "mean_sqrt_len_tokens"),
                               [[4.0 / np.sqrt(2), 8.0 / np.sqrt(2)]], rtol=1e-6)
    with pytest.raises(ValueError):
        pool(hidden, mask, "weightedmean")


def test_no_torch_needed_to_run_an_export() -> None:
    """The ONNX embedder module must not import torch (the perf tier measures it without)."""
    import subprocess
    import sys

    code = ("import sys, embedgate.embedders.onnx.embedder, embedgate.embedders.onnx.export; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ}, check=True)
    assert out.stdout.strip() == "False"
