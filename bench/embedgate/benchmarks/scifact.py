"""Benchmark: the whole of BEIR SciFact (test) in one run, MiniLM through the suite.

(1) Suite cold wall vs raw encode: `run_suite` on a one-embedder retrieval suite with an empty
    cache (model load, encode, exact search, metrics, results and report included) against
    `SentenceTransformer.encode` of the same texts (passages as title + text, then the
    evaluated queries) with the same batch size and the model's own max_seq_length.
    Goal: suite / raw <= 1.05. With --rounds N the two alternate, N times each.
(2) INT8 vs FP32 ONNX (`kind: onnx`, `from:` the MiniLM embedder): nDCG@10 of each, the
    relative loss, and encode throughput (texts / encode seconds of the retrieval tier, whole
    corpus + queries, one after the other in one process). ONNX exports are built on first use
    and cached (EMBEDGATE_ONNX_CACHE_DIR); their build time is in "load s", not in throughput.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from embedgate.benchmarks.common import (
    SCIFACT, machine_load, print_table, set_threads, write_suite,
)
from embedgate.infra import cli_args

RETRIEVAL = "  retrieval: {metrics: [nDCG@10, RR@10, R@100], top_k: 100, embedders: [%s]}"
ONNX = ["{id: onnx-fp32, kind: onnx, from: model, precision: fp32}",
        "{id: onnx-int8, kind: onnx, from: model, precision: int8}"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="packaged:all-MiniLM-L6-v2")
    parser.add_argument("--data", type=Path, default=SCIFACT,
                        help="BEIR folder (default: ../shared/datasets/scifact)")
    parser.add_argument("--batch-size", type=cli_args.positive_int, default=32)
    parser.add_argument("--threads", type=cli_args.threads, default=None,
                        help="torch / faiss / onnxruntime threads")
    parser.add_argument("--rounds", type=cli_args.positive_int, default=1,
                        help="rounds of (1), raw and suite alternating")
    part = parser.add_mutually_exclusive_group()
    part.add_argument("--skip-onnx", action="store_true", help="only part (1)")
    part.add_argument("--only-onnx", action="store_true", help="only part (2)")


def main(args: argparse.Namespace) -> int:
    from embedgate.inputs.beir import load_beir

    threads = set_threads(args.threads)
    data = load_beir("data", args.data, "test")
    print(f"scifact benchmark: {args.model} on {args.data} (test): {data.stats.n_docs} passages "
          f"+ {len(data.queries)} queries, batch_size {args.batch_size}, {threads} threads")
    print(f"{machine_load()} (at start)")
    with tempfile.TemporaryDirectory(prefix="embedgate-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        if not args.only_onnx:
            _overhead(args, data, tmp, threads)
        if not args.skip_onnx:
            _onnx(args, tmp, threads)
    print(f"{machine_load()} (at end)")
    return 0


def _overhead(args: argparse.Namespace, data: Any, tmp: Path, threads: int) -> None:
    from sentence_transformers import SentenceTransformer

    from embedgate.infra.packaged import resolve

    model = SentenceTransformer(str(resolve(args.model)), device="cpu")
    queries = list(data.queries.values())
    model.encode(queries[:8])  # first-call initialisation is not what we measure
    suite = write_suite(tmp, args.model, args.batch_size, [("data", args.data, "test")],
                        RETRIEVAL % "model", name="overhead")
    rows: list[list[object]] = []
    for i in range(args.rounds):
        rows.append(_timed("raw encode", lambda: (
            model.encode(data.doc_texts, batch_size=args.batch_size),
            model.encode(queries, batch_size=args.batch_size))))
        result: dict[str, Any] = {}
        rows.append(_timed("suite, cold cache", lambda: result.update(
            run=_run(suite, tmp / f"overhead-{i}", threads, tmp / f"cache-{i}"))))
        ndcg = result["run"].metric("model", "retrieval", "data", "nDCG@10")
        rows[-1] += [result["run"].timings["encode_s"], ndcg.value if ndcg else float("nan")]
    print(f"\n(1) suite cold wall vs raw encode (max_seq_length {model.max_seq_length}, "
          f"{args.rounds} round(s), raw first)")
    print_table(["contender", "wall s", "CPU s", "wall / raw", "CPU / raw", "encode s",
                 "nDCG@10"], _ratios(rows))
    print("ratio = contender / raw encode of the same round (goal for the suite: <= 1.05)")


def _timed(name: str, fn: Any) -> list[object]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return [name, time.perf_counter() - t0, time.process_time() - c0]


def _ratios(rows: list[list[object]]) -> list[list[object]]:
    out = []
    for raw, suite in zip(rows[::2], rows[1::2]):
        out.append(raw[:3] + [1.0, 1.0, "", ""])
        out.append(suite[:3] + [float(suite[1]) / float(raw[1]),  # type: ignore[arg-type]
                                float(suite[2]) / float(raw[2])] + suite[3:])  # type: ignore[arg-type]
    return out


def _run(suite: Path, out: Path, threads: int, cache: Path | None) -> Any:
    from embedgate.encode.setup import EncodeOverrides
    from embedgate.run.runner import run_suite
    from embedgate.suite import load_suite

    overrides = EncodeOverrides(cache_dir=cache) if cache else EncodeOverrides(no_cache=True)
    result, _ = run_suite(load_suite(suite), out=out, threads=threads, progress=False,
                          encode=overrides)
    return result


def _onnx(args: argparse.Namespace, tmp: Path, threads: int) -> None:
    suite = write_suite(tmp, args.model, args.batch_size, [("data", args.data, "test")],
                        RETRIEVAL % "onnx-fp32, onnx-int8", name="onnx", embedders=ONNX)
    t0 = time.perf_counter()
    result = _run(suite, tmp / "onnx", threads, None)
    rows = [_onnx_row(result, eid) for eid in ("onnx-fp32", "onnx-int8")]
    fp32, int8 = rows
    print(f"\n(2) INT8 vs FP32 ONNX, retrieval tier, no cache ({time.perf_counter() - t0:.0f} s "
          "in all)")
    print_table(["embedder", "nDCG@10", "RR@10", "encode s", "texts/s", "load s"], rows)
    loss = (float(fp32[1]) - float(int8[1])) / float(fp32[1])  # type: ignore[arg-type]
    speed = float(int8[4]) / float(fp32[4])  # type: ignore[arg-type]
    print(f"INT8 vs FP32: relative nDCG@10 loss {loss:+.2%} (goal <= 1%), "
          f"encode throughput {speed:.2f}x")


def _onnx_row(result: Any, eid: str) -> list[object]:
    details = result.details[f"retrieval/{eid}/data"]
    encode_s = float(details["timings"]["encode_s"])
    n_texts = int(details["n_docs"]) + int(details["n_queries"])
    metric = {m: result.metric(eid, "retrieval", "data", m) for m in ("nDCG@10", "RR@10")}
    return [eid, *(r.value if r else float("nan") for r in metric.values()), encode_s,
            n_texts / encode_s, float(result.embedders[eid].get("load_s", 0.0))]
