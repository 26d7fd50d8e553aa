"""Benchmark (a): the retrieval tier's wall time vs raw SentenceTransformer.encode.

Same model, same batch size, same texts (corpus passages + evaluated queries). Contenders:
  raw encode           SentenceTransformer.encode(passages) + encode(queries)
  tier, no cache       retrieval tier (planned batches, exact search, metrics), cache off
  tier, cold cache     the same, writing every vector to an empty cache
Goal: tier / raw <= 1.05. Medians of interleaved rounds; the ratio is measured in one process.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from embedgate.infra import cli_args
from embedgate.benchmarks.common import (
    Timing, add_data_arguments, bench_data, interleaved, machine_load, print_table, set_threads,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, docs=300, queries=100)
    parser.add_argument("--rounds", type=cli_args.positive_int, default=2)


def main(args: argparse.Namespace) -> int:
    from embedgate.suite import RetrievalTier, SentenceTransformersSpec
    from embedgate.tiers.context import RunContext
    from embedgate.inputs.beir import load_beir
    from embedgate.embedders.st import SentenceTransformerEmbedder
    from embedgate.encode.pipeline import EncodeOptions, EncodePipeline
    from embedgate.embedders.registry import BuildEnv
    from embedgate.tiers import retrieval

    threads = set_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="embedgate-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        data = load_beir("bench", bench_data(args, tmp, ["test"]), "test")
        spec = SentenceTransformersSpec(id="model", kind="sentence-transformers", model=args.model,
                                        batch_size=args.batch_size)
        emb = SentenceTransformerEmbedder(spec, BuildEnv(where="bench", progress=False))
        queries = [data.queries[q] for q in data.queries]
        params = RetrievalTier(metrics=["nDCG@10", "RR@10", "R@100"], top_k=100)
        rounds = iter(range(1_000_000))

        def tier(cache: bool) -> None:
            opts = EncodeOptions(cache_dir=tmp / f"cache-{next(rounds)}" if cache else None)
            pipe = EncodePipeline.create(opts)
            retrieval.run(emb, data, params, RunContext(encode_fn=pipe))
            pipe.close()

        contenders = {
            "raw encode": lambda: (emb.model.encode(data.doc_texts, batch_size=args.batch_size),
                                   emb.model.encode(queries, batch_size=args.batch_size)),
            "tier, no cache": lambda: tier(False),
            "tier, cold cache": lambda: tier(True),
        }
        emb.model.encode(queries[:8])  # first-call initialisation is not what we measure
        times = interleaved(contenders, args.rounds, warmup=False)
    _report(args, data.stats.n_docs, len(queries), threads, times)
    return 0


def _report(args: argparse.Namespace, n_docs: int, n_queries: int, threads: int,
            times: dict[str, Timing]) -> None:
    print(f"overhead benchmark: {args.model}, {n_docs} passages + {n_queries} queries "
          f"({'full' if args.full else 'sample'}), batch_size {args.batch_size}, "
          f"{threads} threads, {args.rounds} rounds")
    print(machine_load())
    raw = times["raw encode"].median
    raw_cpu = times["raw encode"].cpu_median
    print_table(["contender", "wall median s", "wall range s", "wall ratio", "CPU median s",
                 "CPU ratio"],
                [[n, t.median, t.spread, t.median / raw, t.cpu_median, t.cpu_median / raw_cpu]
                 for n, t in times.items()])
    print("ratio = contender / raw encode (goal for the tier: <= 1.05)")
