"""`kind: truncate`: a prefix of another embedder's vectors, re-normalised, served from the
source's cache entries; bad references fail at load with file:line."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embedgate.cli.entry import main
from embedgate.embedders.registry import BuildEnv, register_embedder
from embedgate.embedders.truncate import TruncatedEmbedder, truncate
from embedgate.encode.pipeline import EncodeOptions, EncodePipeline
from embedgate.infra.errors import InputError
from embedgate.suite import PluginSpec, TruncateSpec, load_suite

from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder

TEXTS = ["force majeure clause", "act of god", "myocardial ischaemia", "coronary insufficiency"]


@pytest.fixture
def source() -> PluginSpec:
    register_embedder("keyword-test", lambda spec, env: KeywordEmbedder(id=spec.id, dim=64))
    return PluginSpec(id="kw", kind="keyword-test")


def _view(source: PluginSpec, dim: int) -> TruncatedEmbedder:
    spec = TruncateSpec.model_validate({"id": f"kw{dim}", "kind": "truncate", "from": "kw",
                                        "dim": dim})
    return TruncatedEmbedder(spec, BuildEnv(where="suite.yaml:9", progress=False,
                                            specs={"kw": source}))


def test_truncate_keeps_a_prefix_and_renormalises() -> None:
    full = KeywordEmbedder(dim=64).encode(TEXTS, "passage")
    cut = truncate(full, 16)
    assert cut.shape == (4, 16) and cut.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(cut, axis=1)[np.abs(full[:, :16]).sum(1) > 0], 1.0,
                               rtol=1e-6)
    np.testing.assert_allclose(cut * np.linalg.norm(full[:, :16], axis=1, keepdims=True),
                               full[:, :16], rtol=1e-6, atol=1e-7)


def test_a_view_is_served_from_its_source_cache(source: PluginSpec, tmp_path: Path) -> None:
    pipeline = EncodePipeline.create(EncodeOptions(cache_dir=tmp_path / "cache"))
    view = _view(source, 16)
    assert view.info.dim == 16 and view.info.kind == "truncate"
    assert view.info.extra["source_dim"] == 64 and view.info.name == "keyword[:16]"
    full = pipeline(view.source, TEXTS, "passage")
    computed = pipeline.stats.computed
    out = pipeline(view, TEXTS, "passage")
    assert pipeline.stats.computed == computed == len(TEXTS)  # nothing encoded for the view
    np.testing.assert_array_equal(out, truncate(full, 16))
    np.testing.assert_array_equal(view.encode(TEXTS, "passage"), out)  # also without a pipeline
    pipeline.close()


def test_dim_must_be_below_the_source_dim(source: PluginSpec) -> None:
    with pytest.raises(InputError, match=r"suite.yaml:9: dim 64 is not below the 64 dimensions"):
        _view(source, 64)


SUITE = """name: t
embedders:
  - {id: minilm, kind: sentence-transformers, model: packaged:all-MiniLM-L6-v2, batch_size: 64}
  - {id: minilm-128, kind: truncate, from: %s, dim: 128}
datasets:
  - {id: domain, path: %s, split: test}
tiers:
  retrieval: {metrics: [nDCG@10, R@100]}
"""


@pytest.mark.parametrize("ref, message", [
    ("minlm", 'suite.yaml:4: from: "minlm" is not an embedder of this suite (other than a '
              'truncate) (did you mean "minilm"?); declared: minilm'),
    ("minilm-128", 'from: "minilm-128" is not an embedder of this suite (other than a truncate)'),
])
def test_a_bad_source_names_the_line(tmp_path: Path, ref: str, message: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE % (ref, FIXTURES / "domain"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_suite(path)
    assert message in str(err.value)


@pytest.mark.slow
def test_a_suite_judges_a_truncated_minilm_without_encoding_it(tmp_path: Path, monkeypatch,
                                                               caplog) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE % ("minilm", FIXTURES / "domain"), encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "-q"]) == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    info = result["embedders"]["minilm-128"]
    assert info["kind"] == "truncate" and info["dim"] == 128
    assert info["extra"]["source_dim"] == 384
    rows = {(r["embedder"], r["metric"]): r["value"] for r in result["metrics"]}
    full, cut = rows[("minilm", "nDCG@10")], rows[("minilm-128", "nDCG@10")]
    assert 0 < cut < 1 and cut != full  # a real, different judgement of the shorter vectors
    assert not any("with minilm-128" in r.getMessage() for r in caplog.records)
