"""Print tuned-minus-base deltas (ΔMRR@10 = ΔRR@10, ΔnDCG@10) with paired tests from a results.json.

    python scripts/finetune_delta.py reports/finetune-medical/results.json \
        --base m3e-small --tuned m3e-medical [--dataset domain] [--slice-key domain]
    python scripts/finetune_delta.py reports/finetune-scifact-ablation/results.json \
        --base minilm --tuned minilm-scifact minilm-scifact-hardneg --dataset scifact \
        --metrics nDCG@10 RR@10 R@100   # one block per tuned embedder, Holm over all of them
    python scripts/finetune_delta.py RESULTS --tier intrinsic --dataset domain-pairs \
        --metrics mrr top1 margin

Rows: all evaluated queries, then one slice per value of the queries' metadata key (read from
the dataset's queries.jsonl). p: seeded Fisher randomisation test (10,000 sign flips);
CI: paired percentile bootstrap (10,000 resamples); Holm over the table's rows.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from embedgate.algorithms.stats import holm
from embedgate.infra.errors import EmbedgateError
from embedgate.recipes.delta import deltas, query_slices, to_markdown
from embedgate.results.schema import RunResult


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--base", default="m3e-small")
    parser.add_argument("--tuned", nargs="+", default=["m3e-medical"])
    parser.add_argument("--dataset", default="domain")
    parser.add_argument("--tier", default="retrieval")
    parser.add_argument("--metrics", nargs="+", default=["RR@10", "nDCG@10"])
    parser.add_argument("--slice-key", default="domain", help="query metadata key ('' for none)")
    args = parser.parse_args(argv)
    try:
        result = RunResult.load(Path(args.results))
        slices = None
        if args.slice_key and args.dataset in result.datasets:
            queries = Path(result.datasets[args.dataset]["path"]) / "queries.jsonl"
            slices = query_slices(queries, args.slice_key)
        rows, labels = [], []
        for tuned in args.tuned:
            block = deltas(result, args.base, tuned, args.dataset, args.metrics, slices,
                           tier=args.tier)
            rows += block
            labels += [tuned] * len(block)
    except (EmbedgateError, KeyError) as exc:
        print(f"finetune_delta: error: {exc}", file=sys.stderr)
        return 2
    if len(args.tuned) > 1:  # the family is the whole table: Holm over every row
        adjusted = holm([r.p_value for r in rows])
        rows = [replace(r, p_holm=p) for r, p in zip(rows, adjusted)]
    print(to_markdown(rows, labels if len(args.tuned) > 1 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
