"""Shared by the ONNX and perf tests: one ONNX export cache for the whole session.

The repository's autouse fixture gives every test a private embedding cache; ONNX exports take
tens of seconds, so these tests share theirs through EMBEDGATE_ONNX_CACHE_DIR instead.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.suite import OnnxSpec, SentenceTransformersSpec
from embedgate.embedders.registry import BuildEnv

M3E = "packaged:m3e-small"


@pytest.fixture(autouse=True)
def shared_onnx_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path_factory.getbasetemp() / "onnx-cache-shared"
    monkeypatch.setenv("EMBEDGATE_ONNX_CACHE_DIR", str(root))
    return root


def m3e_env(max_seq_length: int = 128) -> tuple[dict[str, object], BuildEnv]:
    """Specs of torch m3e-small and its FP32 / INT8 ONNX exports, and a BuildEnv holding them."""
    specs: dict[str, object] = {
        "torch": SentenceTransformersSpec(id="torch", kind="sentence-transformers", model=M3E,
                                          max_seq_length=max_seq_length, batch_size=16),
        "fp32": OnnxSpec.model_validate({"id": "fp32", "kind": "onnx", "from": "torch",
                                         "precision": "fp32"}),
        "int8": OnnxSpec.model_validate({"id": "int8", "kind": "onnx", "from": "torch",
                                         "precision": "int8"}),
    }
    return specs, BuildEnv(where="test", progress=False, specs=specs, threads=2)
