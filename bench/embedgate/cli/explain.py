"""`embedgate explain CURRENT.json --baseline BASELINE.json`: why the figures moved.

Reads the two results files' fingerprints (never runs a model) and prints what differs (data,
weights, vectors and the factors that shape them) and, per shared metric, its move with a
paired interval and the attributed cause. Exit 0; two runs of different suites or schema
versions, or a file that is not a results.json, are one line and exit 2.
"""
from __future__ import annotations

import argparse
from typing import Any

from embedgate.infra.textio import check_name


def add_parser(sub: Any) -> None:
    p = sub.add_parser("explain", help="attribute the moves between two results files to data, "
                       "model, environment or noise", description=__doc__.splitlines()[0])
    p.add_argument("results", help="the current results.json")
    p.add_argument("--baseline", required=True, help="the baseline results.json")
    p.add_argument("--moved", action="store_true",
                   help="list only the metrics that moved beyond their interval")
    p.set_defaults(func=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    from embedgate.judge.explain import explain
    from embedgate.results.schema import RunResult

    current = RunResult.load(check_name(args.results, "results file"))
    baseline = RunResult.load(check_name(args.baseline, "--baseline"))
    explanation = explain(current, baseline)
    print(f"explain: {args.results} against {args.baseline} (suite {current.suite.name})")
    for line in explanation.lines(only_moved=args.moved):
        print(line)
    return 0
