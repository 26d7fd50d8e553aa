"""`embedgate power RESULTS.json`: how many queries a comparison has, and how many it needs.

Reads per-query values from a results file (never runs a model) and prints, per pair of
systems, the paired t-test's achieved power for the observed difference, the minimum
detectable effect at the current number of queries, and the queries needed to detect the
observed difference and ``--delta``. Exit 0; bad input (unknown id, metric, dataset, a file
that is not a results.json, non-finite per-query values) is one line and exit 2.
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from embedgate.benchmarks.common import print_table
from embedgate.infra import cli_args
from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_name

if TYPE_CHECKING:  # the results schema and the maths load only when the command runs
    from embedgate.judge.power import PairPower
    from embedgate.results.schema import RunResult

HEADERS = ["dataset", "pair (other - base)", "n", "delta", "sd(diff)", "power", "MDE@n",
           "n for |delta|", "n for --delta"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("power", help="power analysis of paired comparisons in a results.json "
                       "(how many queries are enough)", description=__doc__.splitlines()[0])
    p.add_argument("results", help="a results.json written by `embedgate run`")
    p.add_argument("--base", help="the system the others are compared with (default: the best "
                   "by --metric on each dataset)")
    p.add_argument("--other", help="compare only this system with the base (default: every other)")
    p.add_argument("--dataset", help="only this dataset (default: every one with the metric)")
    p.add_argument("--tier", default="retrieval", help="tier of the metric (default: retrieval)")
    p.add_argument("--metric", help="metric (default: the tier's first configured metric)")
    p.add_argument("--delta", type=cli_args.float_range(0.0, open_lo=True, what="a difference"),
                   default=0.01, help="difference to size for, in metric units (default: 0.01)")
    p.add_argument("--alpha", type=cli_args.probability, default=0.05,
                   help="two-sided significance level (default: 0.05)")
    p.add_argument("--power", type=cli_args.probability, default=0.8,
                   help="target power (default: 0.8)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from embedgate.judge import power as jp
    from embedgate.results.schema import RunResult

    path = check_name(args.results, "results file")
    result = RunResult.load(path)
    tier, metric, datasets = _selection(result, args, str(path))
    rows = [pair for ds in datasets for pair in jp.board_powers(
        result, tier, ds, metric, args.base, [args.other] if args.other else None,
        args.alpha, args.power, args.delta)]
    if not rows:
        raise InputError(f"{path}: {tier}/{metric}: fewer than two embedders have per-query "
                         "values; nothing to compare")
    damaged = next((r for r in rows if r.damaged), None)
    if damaged is not None:  # a damaged results file is bad input (exit 2), not a table note
        raise InputError(f"{path}: {tier}/{damaged.dataset}/{metric}: {damaged.problem}")
    print(f"{tier} {metric}: paired two-sided t-test, alpha {args.alpha:g}, target power "
          f"{args.power:g}, --delta {args.delta:g} (delta = mean of other - base per query)")
    print_table(HEADERS, [_row(r) for r in rows])
    for r in rows:
        if r.problem:
            print(f"{r.dataset} {r.other} - {r.base}: {r.problem}")
    return 0


def _selection(result: RunResult, args: argparse.Namespace,
               where: str) -> tuple[str, str, list[str]]:
    """Tier, metric and datasets asked for, each checked against the results (one line each)."""
    from embedgate.judge.power import check_choice

    tiers = list(dict.fromkeys(pq.tier for pq in result.per_query))
    tier = check_choice(args.tier, tiers, "tier", where)
    metrics = list(dict.fromkeys(pq.metric for pq in result.per_query if pq.tier == tier))
    metric = check_choice(args.metric or _default_metric(result, tier, metrics), metrics,
                          f"{tier} metric", where)
    datasets = list(dict.fromkeys(pq.dataset for pq in result.per_query
                                  if (pq.tier, pq.metric) == (tier, metric)))
    if args.dataset:
        datasets = [check_choice(args.dataset, datasets, "dataset", where)]
    embedders = list(result.embedders)
    for option in ("base", "other"):
        if getattr(args, option):
            check_choice(getattr(args, option), embedders, "embedder", where)
    if args.base and args.base == args.other:
        raise InputError(f"--base and --other are both {args.base}; name two different systems")
    return tier, metric, datasets


def _default_metric(result: RunResult, tier: str, metrics: list[str]) -> str:
    configured = (result.params.get("tiers", {}).get(tier) or {}).get("metrics") or []
    return next((m for m in configured if m in metrics), metrics[0])


def _row(r: PairPower) -> list[object]:
    from embedgate.judge.power import queries_text

    a = r.analysis
    pair = f"{r.other} - {r.base}"
    if a is None:
        return [r.dataset, pair] + ["-"] * (len(HEADERS) - 3) + ["(see below)"]
    return [r.dataset, pair, a.n, f"{a.delta:+.4f}", f"{a.sd:.4f}", f"{a.achieved_power:.2f}",
            f"{a.mde:.4f}", queries_text(a.needed_observed), queries_text(a.needed_target)]
