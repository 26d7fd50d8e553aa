"""Ray scale-out: a local Ray with 2 CPUs gives the same results as one process."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embedgate.cli.entry import main
from embedgate.suite import RetrievalTier
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import load_beir
from embedgate.encode.pipeline import EncodeOptions, EncodePipeline
from embedgate.results.schema import RunResult
from embedgate.tiers import retrieval

from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.small_data import small_domain

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray (2 CPUs) for the module; runners reuse it and leave it running."""
    import os

    import ray

    from embedgate.encode.ray import RayRunner

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    owner = RayRunner(num_cpus=2)  # starts Ray the way `embedgate run --ray` does
    yield
    owner.close()  # it started Ray, so it shuts it down
    assert not ray.is_initialized()


def test_ray_pipeline_equals_local_on_the_retrieval_tier(local_ray: None, tmp_path: Path) -> None:
    from embedgate.encode.ray import RayRunner

    data = load_beir("domain", FIXTURES / "domain", "test")
    params = RetrievalTier(metrics=["nDCG@10", "RR@10"], top_k=20)
    runner = RayRunner()
    runner.bind("keyword", KeywordEmbedder)  # built on the workers from the class
    sharded = EncodePipeline(options=EncodeOptions(commit_every=50), runner=runner)
    local = EncodePipeline(options=EncodeOptions(commit_every=50))
    got = retrieval.run(KeywordEmbedder(), data, params, RunContext(encode_fn=sharded))
    want = retrieval.run(KeywordEmbedder(), data, params, RunContext(encode_fn=local))
    assert got.metrics == want.metrics and got.per_query == want.per_query
    assert got.artifacts == want.artifacts
    assert sharded.stats.computed == local.stats.computed > 100
    assert sharded.describe()["workers"].startswith("ray, 2 workers")
    sharded.close()  # kills its actors; the module's Ray stays up


def test_run_with_ray_equals_single_process_run(local_ray: None, tmp_path: Path) -> None:
    """A real model end to end: `embedgate run --ray` and `embedgate run` agree exactly."""
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: ray-e2e
embedders:
  - {{id: minilm, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2",
      max_seq_length: 128, batch_size: 16}}
datasets:
  - {{id: domain, format: beir, path: "{small_domain(tmp_path / 'domain', 30)}", split: test}}
tiers:
  retrieval: {{metrics: [nDCG@10, RR@10], top_k: 20}}
cache: {{commit_every: 8}}
""", encoding="utf-8")
    runs = {}
    for name, extra in (("ray", ["--ray"]), ("single", [])):
        out = tmp_path / name
        # Two threads in both runs, whatever this machine has: the workers must match the driver.
        assert main(["run", str(suite), "--out", str(out), "-q", "--no-cache", "--threads", "2",
                     *extra]) == 0
        runs[name] = RunResult.load(out / "results.json")
    ray_run, single = runs["ray"], runs["single"]
    assert [(m.metric, m.value) for m in ray_run.metrics] == \
        [(m.metric, m.value) for m in single.metrics]
    assert ray_run.per_query == single.per_query
    assert (tmp_path / "ray" / "runs" / "minilm__domain.trec").read_text() == \
        (tmp_path / "single" / "runs" / "minilm__domain.trec").read_text()
    enc = ray_run.details["retrieval/minilm/domain"]["encode"]
    assert enc["workers"].startswith("ray, 2 workers × 2 threads") and enc["computed"] > 30
    assert single.details["retrieval/minilm/domain"]["encode"]["workers"] == "this process"
    assert np.isfinite(ray_run.timings["encode_s"])
