"""`embedgate quantize` and the ONNX bad inputs: one clear line, exit 2, no traceback."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.embedders.onnx.artifact import META_FILE, MODEL_FILE
from embedgate.embedders.onnx.export import ensure_export
from embedgate.infra.packaged import resolve

from tests.helpers.onnx import M3E

pytestmark = pytest.mark.usefixtures("shared_onnx_cache")  # one export cache


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def fp32_copy(tmp_path: Path) -> Path:
    """A user's own copy of the FP32 export of m3e-small."""
    return Path(shutil.copytree(ensure_export(resolve(M3E), "fp32"), tmp_path / "fp32"))


@pytest.mark.slow
def test_quantize_packaged_alias(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m3e-int8"
    assert main(["quantize", "m3e-small", "--out", str(out)]) == 0
    meta = json.loads((out / META_FILE).read_text())
    assert meta["precision"] == "int8" and meta["check"]["mean_cosine"] >= 0.99
    assert (out / "tokenizer.json").is_file() and (out / MODEL_FILE).stat().st_size < 30e6
    assert "int8 ONNX" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left


@pytest.mark.slow
def test_quantize_an_fp32_export_with_options(fp32_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "per-tensor"
    assert main(["quantize", str(fp32_copy), "--out", str(out), "--per-tensor",
                 "--no-reduce-range", "--op-types", "MatMul"]) == 0
    meta = json.loads((out / META_FILE).read_text())
    assert meta["recipe"] == {"weight_type": "qint8", "per_channel": False,
                              "reduce_range": False, "op_types": ["MatMul"]}


@pytest.mark.slow
def test_corrupt_onnx_file(fp32_copy: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    model = fp32_copy / MODEL_FILE
    model.write_bytes(model.read_bytes()[:5000])  # truncated
    assert main(["quantize", str(fp32_copy), "--out", str(tmp_path / "x")]) == 2
    line = _error_line(capsys)
    assert str(model) in line and "corrupt" in line
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_corrupt_onnx_file_with_matching_metadata(fp32_copy: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Corrupted before its metadata was written: the hash agrees, onnxruntime cannot read it."""
    from embedgate.infra.hashing import file_sha256

    model = fp32_copy / MODEL_FILE
    model.write_bytes(b"this is not a protobuf" * 100)
    meta = json.loads((fp32_copy / META_FILE).read_text())
    meta.update(onnx_bytes=model.stat().st_size, onnx_sha256=file_sha256(model))
    (fp32_copy / META_FILE).write_text(json.dumps(meta))
    assert main(["quantize", str(fp32_copy), "--out", str(tmp_path / "x")]) == 2
    line = _error_line(capsys)
    assert str(model) in line and "not a loadable ONNX model" in line


def test_bare_onnx_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bare = tmp_path / "model.onnx"
    bare.write_bytes(b"\x08\x07garbage")
    assert main(["quantize", str(bare), "--out", str(tmp_path / "x")]) == 2
    assert "export directory" in _error_line(capsys)


@pytest.mark.slow
def test_model_that_cannot_be_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A real model whose pooling the ONNX embedder does not implement is refused by name."""
    model = Path(shutil.copytree(resolve("packaged:all-MiniLM-L6-v2"), tmp_path / "minilm"))
    cfg = json.loads((model / "1_Pooling" / "config.json").read_text())
    cfg.update(pooling_mode_mean_tokens=False, pooling_mode_weightedmean_tokens=True)
    (model / "1_Pooling" / "config.json").write_text(json.dumps(cfg))
    assert main(["quantize", str(model), "--out", str(tmp_path / "x")]) == 2
    line = _error_line(capsys)
    assert "weightedmean" in line and "not supported" in line


def test_model_dir_that_does_not_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "broken"
    model.mkdir()
    (model / "config.json").write_text("{ not json")
    assert main(["quantize", str(model), "--out", str(tmp_path / "x")]) == 2
    line = _error_line(capsys)
    assert str(model) in line and "cannot be loaded for ONNX export" in line


def test_out_dir_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    assert main(["quantize", "m3e-small", "--out", str(tmp_path / "out")]) == 2
    assert "not an empty directory" in _error_line(capsys)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_suite_onnx_from_unknown_embedder(write_suite, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_suite("""name: bad
embedders:
  - id: m3e-torch
    kind: sentence-transformers
    model: packaged:m3e-small
  - id: m3e-int8
    kind: onnx
    from: m3e-toch
    precision: int8
tiers:
  retrieval: {}
""")
    assert main(["validate", str(path)]) == 2
    line = _error_line(capsys)
    assert "\"m3e-toch\"" in line and "did you mean \"m3e-torch\"" in line and f"{path}:8:" in line


def test_unwritable_export_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("EMBEDGATE_ONNX_CACHE_DIR", str(blocker / "onnx"))
    assert main(["quantize", "m3e-small", "--out", str(tmp_path / "x")]) == 2
    line = _error_line(capsys)
    assert "cannot write the ONNX export cache" in line and "EMBEDGATE_ONNX_CACHE_DIR" in line
    assert not (tmp_path / "x").exists()
