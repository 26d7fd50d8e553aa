"""Benchmark: what length-sorted, token-budgeted batching gains on a mixed-length corpus.

Contenders encode the same texts with the same model and batch size:
  input order       fixed-size batches in input order (no sorting: the naive loop)
  st.encode         SentenceTransformer.encode (sorts by character length, cuts by count)
  planned, count    embedgate: sorted by token length, cut by batch_size only
  planned, budget   embedgate: sorted by token length, cut by batch_size and a token budget
Padded tokens (rows × longest row, summed over batches) do not depend on machine load; wall
times do, so they are medians of interleaved rounds.
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from embedgate.infra import cli_args
from embedgate.benchmarks.common import (
    default_data, interleaved, machine_load, mixed_texts, print_table,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="packaged:all-MiniLM-L6-v2")
    parser.add_argument("--data", type=Path, default=None, help="BEIR folder (default: SciFact)")
    parser.add_argument("--sample", type=cli_args.positive_int, default=100,
                        help="passages and as many queries (default 100); 0 = all (--full)")
    parser.add_argument("--full", action="store_true", help="the whole corpus and all queries")
    parser.add_argument("--batch-size", type=cli_args.positive_int, default=32)
    parser.add_argument("--max-tokens", type=cli_args.positive_int, default=4096, help="token budget per batch")
    parser.add_argument("--rounds", type=cli_args.positive_int, default=2)
    parser.add_argument("--threads", type=cli_args.threads, default=None)


def main(args: argparse.Namespace) -> int:
    from embedgate.suite import SentenceTransformersSpec
    from embedgate.embedders.st import SentenceTransformerEmbedder
    from embedgate.embedders.registry import BuildEnv
    from embedgate.embedders.batching import plan_batches

    _threads(args.threads)
    data = args.data or default_data()
    texts = mixed_texts(data, None if args.full or args.sample == 0 else args.sample)
    spec = SentenceTransformersSpec(id="bench", kind="sentence-transformers", model=args.model,
                                    batch_size=args.batch_size)
    emb = SentenceTransformerEmbedder(spec, BuildEnv(where="bench", progress=False))
    budget = spec.model_copy(update={"max_tokens_per_batch": args.max_tokens})
    lengths = emb.token_lengths(texts)
    plans = {
        "input order": [list(range(i, min(i + args.batch_size, len(texts))))
                        for i in range(0, len(texts), args.batch_size)],
        "st.encode": _st_plan(texts, args.batch_size),
        "planned, count": plan_batches(lengths, args.batch_size),
        "planned, budget": plan_batches(lengths, args.batch_size, args.max_tokens),
    }

    def planned(s: SentenceTransformersSpec) -> None:
        emb.spec = s
        emb.encode(texts, "passage")

    contenders = {
        "input order": lambda: [emb._forward([texts[i] for i in b]) for b in plans["input order"]],
        "st.encode": lambda: emb.model.encode(texts, batch_size=args.batch_size),
        "planned, count": lambda: planned(spec),
        "planned, budget": lambda: planned(budget),
    }
    emb.model.encode(texts[:8])  # warm-up: first-call initialisation is not what we measure
    times = interleaved(contenders, args.rounds, warmup=False)
    _report(args, data, texts, lengths, plans, times)
    return 0


def _st_plan(texts: list[str], batch_size: int) -> list[list[int]]:
    """The batches SentenceTransformer.encode forms: longest characters first, by count."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # stable, like its argsort
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _report(args: argparse.Namespace, data: Path, texts: list[str], lengths: list[int],
            plans: dict[str, list[list[int]]], times: dict) -> None:
    from embedgate.embedders.batching import plan_stats

    print(f"batching benchmark: {args.model}, {len(texts)} texts from {data} "
          f"(token lengths {min(lengths)}–{max(lengths)}, median {int(statistics.median(lengths))}), "
          f"batch_size {args.batch_size}, budget {args.max_tokens} tokens, {args.rounds} rounds")
    print(machine_load())
    base_cpu = times["input order"].cpu_median
    rows = []
    for name, plan in plans.items():
        st = plan_stats(lengths, plan)
        t = times[name]
        rows.append([name, st.n_batches, st.padded_tokens, st.padding_efficiency, t.median,
                     t.spread, t.cpu_median, base_cpu / t.cpu_median])
    print_table(["contender", "batches", "padded tokens", "real/padded", "wall median s",
                 "wall range s", "CPU median s", "CPU speed-up vs input order"], rows)


def _threads(n: int | None) -> None:
    if n:
        import torch

        torch.set_num_threads(n)
