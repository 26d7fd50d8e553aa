"""Perf tier: real variants in fresh subprocesses, sane figures, pairs, drift and quality."""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from embedgate.cli.entry import main
from embedgate.suite import PerfTier, load_suite
from embedgate.infra.errors import InfraError
from embedgate.tiers.perf.pool import WorkerPool
from embedgate.results.schema import MetricRow, RunResult, TierResult
from embedgate.tiers.perf.tier import cosine_drift, default_pairs, quality_delta, summarise

from tests.conftest import FIXTURES, write_beir

pytestmark = pytest.mark.usefixtures("shared_onnx_cache")  # one export cache

SUITE = """name: perf
seed: 7
embedders:
  - id: torch
    kind: sentence-transformers
    model: packaged:m3e-small
    max_seq_length: 128
  - id: onnx-fp32
    kind: onnx
    from: torch
    precision: fp32
  - id: onnx-int8
    kind: onnx
    from: torch
    precision: int8
datasets:
  - id: small
    format: beir
    path: {data}
tiers:
{tiers}"""
TIERS = """  retrieval:
    metrics: [nDCG@10, RR@10]
  perf:
    n_texts: 16
    batch_sizes: [1, 4, 16]
    rounds: 2
    threads: 1
"""


def _small_domain(root: Path, n_docs: int = 60) -> Path:
    """The first passages of the bilingual fixtures and the test queries judged on them."""
    lines = (FIXTURES / "domain" / "corpus.jsonl").read_text().splitlines()
    corpus = [json.loads(x) for x in lines[:n_docs]]
    ids = {d["_id"] for d in corpus}
    qrels = [tuple(r.split("\t")) for r in
             (FIXTURES / "domain" / "qrels" / "test.tsv").read_text().splitlines()[1:]]
    kept = [(q, d, int(s)) for q, d, s in qrels if d in ids]
    qids = {q for q, _, _ in kept}
    queries = [q for q in map(json.loads, (FIXTURES / "domain" / "queries.jsonl")
                              .read_text().splitlines()) if q["_id"] in qids]
    return write_beir(root, corpus, queries, kept)


@pytest.fixture(scope="module")
def perf_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    root = tmp_path_factory.mktemp("perf")
    suite = root / "suite.yaml"
    suite.write_text(SUITE.format(data=_small_domain(root / "data"), tiers=TIERS))
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse fixtures are not up yet
        mp.setenv("EMBEDGATE_ONNX_CACHE_DIR",
                  str(tmp_path_factory.getbasetemp() / "onnx-cache-shared"))
        mp.setenv("EMBEDGATE_CACHE_DIR", str(root / "embedding-cache"))
        assert main(["run", str(suite), "--out", str(root / "out"), "-q", "--no-gates"]) == 0
    return RunResult.load(root / "out" / "results.json")


def _rows(result: RunResult, eid: str) -> dict[str, MetricRow]:
    return {r.metric: r for r in result.metrics if r.tier == "perf" and r.embedder == eid}


@pytest.mark.slow
def test_perf_fields_present_and_sane(perf_run: RunResult) -> None:
    for eid in ("torch", "onnx-fp32", "onnx-int8"):
        rows = _rows(perf_run, eid)
        for bs in (1, 4, 16):
            p50, p95, p99 = (rows[f"latency_p{q}@bs{bs}"].value for q in (50, 95, 99))
            assert 0 < p50 <= p95 <= p99
            assert rows[f"latency_p50@bs{bs}"].unit == "ms"
            assert not rows[f"latency_p50@bs{bs}"].higher_is_better
            throughput = rows[f"throughput@bs{bs}"]
            assert throughput.value > 0 and throughput.higher_is_better
            assert rows[f"tokens_per_s@bs{bs}"].value > rows[f"throughput@bs{bs}"].value
        assert rows["size_mb"].value > 10 and rows["weight_mb"].value > 0
        assert rows["peak_rss_encode_mb"].value >= rows["rss_ready_mb"].value * 0.9
        details = perf_run.details[f"perf/{eid}/small"]
        assert details["threads"] == 1 and details["load"]["threads"] == 1


@pytest.mark.slow
def test_each_variant_ran_in_its_own_fresh_process(perf_run: RunResult) -> None:
    loads = {e: perf_run.details[f"perf/{e}/small"]["load"]
             for e in ("torch", "onnx-fp32", "onnx-int8")}
    pids = {load["pid"] for load in loads.values()}
    assert len(pids) == 3 and os.getpid() not in pids
    assert "torch" in loads["torch"]["heavy_modules"]
    for eid in ("onnx-fp32", "onnx-int8"):  # ONNX variants were measured without torch in memory
        assert "torch" not in loads[eid]["heavy_modules"]
        assert loads[eid]["rss_before_mb"] < loads["torch"]["rss_before_mb"]


@pytest.mark.slow
def test_pairs_ratios_drift_and_quality(perf_run: RunResult) -> None:
    int8, fp32 = _rows(perf_run, "onnx-int8"), _rows(perf_run, "onnx-fp32")
    assert int8["size_ratio vs onnx-fp32"].value < 0.3
    assert int8["speedup@bs16 vs onnx-fp32"].value > 0
    assert 0.99 <= int8["cosine_drift_mean vs onnx-fp32"].value < 0.99999
    assert int8["cosine_drift_min vs onnx-fp32"].value <= int8["cosine_drift_p5 vs onnx-fp32"].value
    assert fp32["cosine_drift_min vs torch"].value >= 0.9999  # FP32 ONNX is torch
    quality = [r for r in perf_run.metrics if r.metric == "rel_delta_nDCG@10 vs onnx-fp32"]
    assert len(quality) == 1 and quality[0].dataset == "small"
    ndcg = {e: perf_run.metric(e, "retrieval", "small", "nDCG@10").value  # type: ignore[union-attr]
            for e in ("onnx-int8", "onnx-fp32")}
    assert quality[0].value == pytest.approx(ndcg["onnx-int8"] / ndcg["onnx-fp32"] - 1)
    assert abs(_rows(perf_run, "onnx-fp32")["rel_delta_nDCG@10 vs torch"].value) < 1e-3


def test_summarise_by_hand() -> None:
    params = PerfTier(n_texts=4, batch_sizes=[2], rounds=2)
    rounds = [{"latencies_ms": {"2": [10.0, 30.0]}, "peak_rss_mb": 100.0},
              {"latencies_ms": {"2": [20.0, 40.0]}, "peak_rss_mb": 120.0}]
    load = {"weight_mb": 5.0, "size_mb": 4.0, "rss_after_first_encode_mb": 50.0, "load_s": 1.0}
    out = summarise(load, [3, 5, 2, 10], rounds, params)
    b = out["batch"]["2"]
    assert b["p50_ms"] == pytest.approx(25.0)  # of 10, 20, 30, 40
    assert b["p95_ms"] == pytest.approx(38.5) and b["p99_ms"] == pytest.approx(39.7)
    # rounds took 40 ms and 60 ms: median 50 ms for 4 texts / 20 tokens
    assert b["texts_per_s"] == pytest.approx(80.0) and b["tokens_per_s"] == pytest.approx(400.0)
    assert out["peak_rss_encode_mb"] == 120.0


def test_cosine_drift_by_hand() -> None:
    ref = np.eye(3, dtype=np.float32)
    cand = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 0, -1]], dtype=np.float32)
    drift = cosine_drift(cand, ref)
    assert drift["mean"] == pytest.approx((1 + 0.8 - 1) / 3) and drift["min"] == pytest.approx(-1)
    assert drift["p5"] == pytest.approx(-1 + 0.1 * 1.8)  # 5th percentile between -1 and 0.8


def test_quality_delta_from_retrieval_rows() -> None:
    def tier(eid: str, value: float) -> TierResult:
        row = MetricRow(embedder=eid, tier="retrieval", dataset="d", metric="nDCG@10",
                        value=value, higher_is_better=True, n_queries=10)
        return TierResult(tier="retrieval", embedder=eid, dataset="d", metrics=[row])

    delta = quality_delta("int8", "fp32", [tier("int8", 0.495), tier("fp32", 0.5)], ["nDCG@10"])
    assert delta["d"]["nDCG@10"]["relative"] == pytest.approx(-0.01)
    assert delta["d"]["nDCG@10"]["absolute"] == pytest.approx(-0.005)
    assert quality_delta("int8", "fp32", [tier("int8", 0.5)], ["nDCG@10"]) == {}


def test_default_pairs(write_suite, tmp_path: Path) -> None:
    data = _small_domain(tmp_path / "d", 20)
    loaded = load_suite(write_suite(SUITE.format(data=data, tiers=TIERS)))
    ids = ["torch", "onnx-fp32", "onnx-int8"]
    assert default_pairs(loaded, ids) == [("onnx-fp32", "torch"), ("onnx-int8", "onnx-fp32")]
    assert default_pairs(loaded, ["torch", "onnx-int8"]) == [("onnx-int8", "torch")]


@pytest.mark.parametrize("extra, needle", [
    ("    dataset: nope\n", 'unknown dataset "nope"'),
    ("    pairs: [[onnx-int8, ghost]]\n", '"ghost" is not measured'),
])
def test_perf_bad_input(write_suite, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        extra: str, needle: str) -> None:
    data = _small_domain(tmp_path / "d", 20)
    path = write_suite(SUITE.format(data=data, tiers=TIERS + extra))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert needle in err and f"{path}:" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "results.json").exists()


def test_batch_larger_than_sample_is_refused(write_suite, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    data = _small_domain(tmp_path / "d", 20)
    path = write_suite(SUITE.format(data=data, tiers=TIERS.replace("[1, 4, 16]", "[1, 4, 32]")))
    assert main(["validate", str(path)]) == 2
    assert "at most n_texts (16)" in capsys.readouterr().err


def test_a_dead_worker_is_an_infrastructure_error(write_suite, tmp_path: Path) -> None:
    data = _small_domain(tmp_path / "d", 20)
    loaded = load_suite(write_suite(SUITE.format(data=data, tiers=TIERS)))
    with WorkerPool(loaded, ["torch"], threads=1, max_batch=4, timeout_s=60) as pool:
        pool._start("torch")
        os.kill(pool.procs["torch"].pid, signal.SIGKILL)  # the worker this test started
        pool.procs["torch"].wait()
        with pytest.raises(InfraError, match="perf worker for torch exited with code -9"):
            pool.send("torch", {"cmd": "texts", "texts": ["a"]})
