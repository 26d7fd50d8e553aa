"""Shared by the ONNX and perf tests: m3e-small as torch, FP32 and INT8 ONNX specs.

Their modules use the `shared_onnx_cache` fixture (tests/conftest.py): ONNX exports take tens
of seconds, so those tests share one export cache for the session.
"""
from __future__ import annotations

from embedgate.suite import OnnxSpec, SentenceTransformersSpec
from embedgate.embedders.registry import BuildEnv

M3E = "packaged:m3e-small"


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
