"""The lazy embedder: info from files at once, the model only on the first encode."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from embedgate.embedders.base import Embedder
from embedgate.embedders.lazy import LazyEmbedder, build_lazy, model_loaded
from embedgate.embedders.registry import BuildEnv, build_embedder
from embedgate.infra.errors import InfraError
from embedgate.suite import OnnxSpec, SentenceTransformersSpec

from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.onnx import m3e_env

ENV = BuildEnv(where="test", progress=False, threads=2)


def test_the_model_loads_on_the_first_encode_only() -> None:
    built: list[Embedder] = []

    def load() -> Embedder:
        built.append(KeywordEmbedder())
        return built[-1]

    lazy = LazyEmbedder(KeywordEmbedder().info, load)
    assert lazy.info.dim == 64 and not lazy.loaded and not model_loaded(lazy) and not built
    first = lazy.encode(["a text"], "query")
    lazy.encode(["another"], "passage")
    assert len(built) == 1 and lazy.loaded and model_loaded(lazy)
    np.testing.assert_array_equal(first, KeywordEmbedder().encode(["a text"], "query"))
    assert model_loaded(KeywordEmbedder())  # an eagerly built embedder is loaded


def test_a_model_that_disagrees_with_its_files_fails() -> None:
    info = replace(KeywordEmbedder().info, max_seq_length=512)
    with pytest.raises(InfraError, match="max_seq_length"):
        LazyEmbedder(info, KeywordEmbedder).encode(["x"], "query")


def test_lazy_minilm_gives_the_eager_vectors() -> None:
    spec = SentenceTransformersSpec(id="minilm", kind="sentence-transformers",
                                    model="packaged:all-MiniLM-L6-v2", max_seq_length=128)
    lazy = build_lazy(spec, ENV)
    assert isinstance(lazy, LazyEmbedder) and not lazy.loaded
    texts = ["心肌缺血", "what is force majeure?", "a contract clause"]
    vecs = lazy.encode(texts, "passage")
    assert lazy.loaded and lazy.load_s > 0
    eager = build_embedder(spec, ENV)
    assert lazy.info == eager.info
    np.testing.assert_array_equal(vecs, eager.encode(texts, "passage"))


def test_kinds_that_cannot_describe_themselves_load_at_once() -> None:
    spec = SentenceTransformersSpec(id="minilm", kind="sentence-transformers",
                                    model="packaged:all-MiniLM-L6-v2", trust_remote_code=True)
    assert not isinstance(build_lazy(spec, ENV), LazyEmbedder)


@pytest.mark.slow
@pytest.mark.usefixtures("shared_onnx_cache")
def test_onnx_is_described_from_its_cached_export() -> None:
    specs, env = m3e_env()
    fp32 = specs["fp32"]
    assert isinstance(fp32, OnnxSpec)
    built = build_embedder(fp32, env)  # builds (or finds) the cached export
    lazy = build_lazy(fp32, env)
    assert isinstance(lazy, LazyEmbedder) and lazy.info == built.info
    texts = ["心肌缺血", "冠状动脉供血不足"]
    np.testing.assert_array_equal(lazy.encode(texts, "query"), built.encode(texts, "query"))
