"""Load tier, tiny: the keyword embedder served in three configurations with ~1 s steps through
`embedgate run`; structure only (rows, directions, units, counts, ordered percentiles, LRU hits
under Zipf, no errors), never timings. Bad input: one line with file:line, exit 2."""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.embedders.registry import register_embedder
from embedgate.results.schema import RunResult
from embedgate.suite import suite as suite_module
from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder

QPS = (5, 20)
CONFIGS = ("plain", "batch", "batch+lru")
SUITE = f"""name: load-tiny
embedders:
  - {{id: kw, kind: keyword-test}}
datasets:
  - {{id: domain, path: {FIXTURES / "domain"}}}
tiers:
  load:
    qps: [5, 20]
    step_seconds: 1
    max_requests: 30
    concurrency: 8
    configurations:
      - {{type: plain}}
      - {{type: batch, max_batch: 16, max_wait_ms: 2}}
      - {{type: batch+lru, max_batch: 16, max_wait_ms: 2, cache_size: 100}}
"""


@pytest.fixture
def keyword_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kind: keyword-test` builds the deterministic keyword embedder, as a plugin would."""
    register_embedder("keyword-test", lambda spec, env: KeywordEmbedder(id=spec.id, dim=64))
    monkeypatch.setattr(suite_module, "plugin_kinds", lambda builtin: ["keyword-test"])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run for the structural tests (the sweep takes ~6 s of wall time)."""
    with pytest.MonkeyPatch.context() as mp:
        register_embedder("keyword-test", lambda spec, env: KeywordEmbedder(id=spec.id, dim=64))
        mp.setattr(suite_module, "plugin_kinds", lambda builtin: ["keyword-test"])
        root = tmp_path_factory.mktemp("load")
        mp.setenv("EMBEDGATE_CACHE_DIR", str(root / "cache"))
        suite = root / "suite.yaml"
        suite.write_text(SUITE, encoding="utf-8")
        assert main(["run", str(suite), "--out", str(root / "out"), "-q", "--threads", "1"]) == 0
    return root / "out"


def test_rows_per_configuration_and_qps_carry_direction_and_unit(run_dir: Path) -> None:
    result = RunResult.load(run_dir / "results.json")
    rows = {r.metric: r for r in result.metrics if r.tier == "load"}
    assert all(r.embedder == "kw" and r.dataset == "domain" for r in rows.values())
    for name in CONFIGS:
        for qps in QPS:
            at = f"@{qps}qps[{name}]"
            p50, p95, p99 = (rows[f"latency_p{q}{at}"] for q in (50, 95, 99))
            assert all(r.unit == "ms" and not r.higher_is_better for r in (p50, p95, p99))
            assert 0 <= p50.value <= p95.value <= p99.value
            assert 0 < p50.n_queries <= 30
            err, achieved = rows[f"error_rate{at}"], rows[f"achieved_qps{at}"]
            assert err.value == 0 and not err.higher_is_better and err.unit == "fraction"
            assert achieved.value > 0 and achieved.higher_is_better and achieved.unit == "qps"
            assert (f"cache_hit_rate{at}" in rows) == (name == "batch+lru")
        delta = rows[f"served_delta_nDCG@10[{name}]"]
        assert delta.value == pytest.approx(0.0, abs=1e-9) and delta.higher_is_better
        assert rows[f"served_max_abs_diff[{name}]"].value == pytest.approx(0.0, abs=1e-6)
    assert len(rows) == len(CONFIGS) * len(QPS) * 5 + len(QPS) + len(CONFIGS) * 2


def test_lru_hits_repeated_zipf_queries_and_details_hold_the_steps(run_dir: Path) -> None:
    result = RunResult.load(run_dir / "results.json")
    hits = [r for r in result.metrics if r.metric.startswith("cache_hit_rate")]
    assert hits and all(r.higher_is_better and r.unit == "fraction" for r in hits)
    assert sum(r.value for r in hits) > 0
    details = result.details["load/kw/domain"]
    assert list(details["configs"]) == list(CONFIGS)
    lru = details["configs"]["batch+lru"]
    assert sum(s["cache_hits"] for s in lru["steps"]) == lru["server"]["cache"]["hits"] > 0
    assert details["configs"]["batch"]["server"]["batcher"]["requests"] > 0
    assert details["served"] == "in-process on 127.0.0.1"
    assert math.isfinite(details["machine"]["load_1min"])


def test_report_has_the_load_section_with_a_chart(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="load"' in html and "<svg" in html.split('id="load"', 1)[1]
    assert "batch+lru" in html


BAD = {
    "remote": ("embedders:\n  - {id: far, kind: openai-compatible, base_url: "
               "'http://10.0.0.1:8000/v1', model: m}\n", "tiers:\n  load: {qps: [2]}\n",
               "only to http:// on 127.0.0.1"),
    "empty-qps": ("embedders:\n  - {id: kw, kind: keyword-test}\n", "tiers:\n  load: {qps: []}\n",
                  "qps is empty"),
    "unknown": ("embedders:\n  - {id: kw, kind: keyword-test}\n",
                "tiers:\n  load: {embedders: [kx]}\n", 'unknown embedder "kx"'),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_with_file_and_line(case: str, keyword_kind: None,
                                                   write_suite: Callable[[str], Path],
                                                   capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    embedders, tiers, expected = BAD[case]
    path = write_suite(f"name: bad\n{embedders}datasets:\n"
                       f"  - {{id: domain, path: {FIXTURES / 'domain'}}}\n{tiers}")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]
    assert re.search(rf"{re.escape(str(path))}:\d+: ", err[0])
