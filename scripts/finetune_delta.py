"""Print tuned-minus-base deltas (ΔMRR@10 = ΔRR@10, ΔnDCG@10) with paired tests from a results.json.

    python scripts/finetune_delta.py reports/finetune-medical/results.json \
        --base m3e-small --tuned m3e-medical [--dataset domain] [--slice-key domain]
    python scripts/finetune_delta.py RESULTS --tier intrinsic --dataset domain-pairs \
        --metrics mrr top1 margin

Rows: all evaluated queries, then one slice per value of the queries' metadata key (read from
the dataset's queries.jsonl). p: seeded Fisher randomisation test (10,000 sign flips);
CI: paired percentile bootstrap (10,000 resamples); Holm over the table's rows.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from embedgate.infra.errors import EmbedgateError
from embedgate.recipes.delta import deltas, query_slices, to_markdown
from embedgate.results.schema import RunResult


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--base", default="m3e-small")
    parser.add_argument("--tuned", default="m3e-medical")
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
        rows = deltas(result, args.base, args.tuned, args.dataset, args.metrics, slices,
                      tier=args.tier)
    except (EmbedgateError, KeyError) as exc:
        print(f"finetune_delta: error: {exc}", file=sys.stderr)
        return 2
    print(to_markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
