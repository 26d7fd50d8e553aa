"""`embedgate bench load`, tiny: the keyword embedder, two ~1 s steps, structure only."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest

from embedgate.embedders.load.configs import CONFIGS, LoadPlan, run_load
from embedgate.embedders.load.driver import loopback_url
from embedgate.infra.errors import InputError
from embedgate.inputs.beir import load_beir
from tests.conftest import FIXTURES, ROOT
from tests.fakes.keyword_embedder import KeywordEmbedder


def test_three_configurations_report_ordered_figures_and_cache_hits() -> None:
    data = load_beir("domain", FIXTURES / "domain", "test")
    plan = LoadPlan(qps=[5, 20], step_s=1.0, max_requests=30, seed=3, concurrency=8,
                    cache_size=100)
    report = run_load(KeywordEmbedder(dim=64), data, plan)
    assert list(report["configs"]) == list(CONFIGS)
    for name, config in report["configs"].items():
        assert [s["qps"] for s in config["steps"]] == [5, 20]
        for step in config["steps"]:
            assert 0 < step["sent"] <= 30
            assert step["errors"] == 0 and step["ok"] == step["sent"]
            assert step["p50_ms"] <= step["p95_ms"] <= step["p99_ms"]
        assert config["quality"]["delta"] == pytest.approx(0.0, abs=1e-6)
        assert math.isfinite(config["quality"]["local"])
    assert "batcher" in report["configs"]["batch"]["server"]
    assert report["configs"]["batch+lru"]["server"]["cache"]["hits"] > 0  # Zipf repeats


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000/v1", "http://example.com/v1",
                                 "https://127.0.0.1/v1", "http://127.0.0.2:80/v1"])
def test_non_loopback_targets_are_refused(url: str) -> None:
    with pytest.raises(InputError, match="only against http:// on 127.0.0.1, localhost or ::1"):
        loopback_url(url)


def test_cli_refuses_a_remote_url_with_exit_2() -> None:
    proc = subprocess.run([sys.executable, "-m", "embedgate", "bench", "load", "--url",
                           "http://192.168.1.5:8000/v1", "--model-name", "m"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "load tests run only against" in proc.stderr
