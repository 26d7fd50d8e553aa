"""`embedgate pool RESULTS.json… --depth 10 --out FILE`: the unjudged pooled pairs of every
system, written for judging (FILE as JSONL and FILE.tsv beside it, with query and document
texts), and how many judgments would close the holes. Label the file (grade, who, when) and
name it in the dataset's `qrels_extra:` to score on the augmented qrels beside the original.
Exit 0; bad input is one line and exit 2.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from embedgate.infra import cli_args
from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_name


def add_parser(sub: Any) -> None:
    p = sub.add_parser("pool", help="write the unjudged pooled (query, document) pairs of a "
                       "bake-off as a judging file", description=__doc__.splitlines()[0])
    p.add_argument("results", nargs="+", help="results.json files written by `embedgate run`")
    p.add_argument("--depth", type=cli_args.int_range(1, 10_000), default=10,
                   help="pool each system's top DEPTH documents (default: 10)")
    p.add_argument("--out", required=True, help="judging file to write (JSONL; a .tsv copy "
                   "is written beside it)")
    p.add_argument("--dataset", action="append", default=[], metavar="ID=PATH",
                   help="the folder of dataset ID, where the results' recorded path moved")
    p.add_argument("--judge", help="a YAML file with a `judge:` block: a chat model labels the "
                   "pairs once its agreement with the qrels (Cohen's kappa) clears the floor")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from embedgate.inputs.judgments import write_pool
    from embedgate.labels.pool import build_pools

    paths = {}
    for item in args.dataset:
        did, sep, path = item.partition("=")
        if not sep or not did or not path:
            raise InputError(f"--dataset {item!r}: expected ID=PATH, e.g. scifact=data/scifact")
        paths[did] = check_name(path, "--dataset path")
    out = check_name(args.out, "--out")
    spec = _judge_spec(args.judge) if args.judge else None  # a bad judge file fails first
    pools = build_pools([check_name(r, "results file") for r in args.results], args.depth,
                        paths)
    refused = False if spec is None else _judge(spec, pools, out)
    records = [r for p in pools for r in p.records]
    if out.suffix.lower() == ".tsv":
        raise InputError(f"--out {out}: name the JSONL file (e.g. pool.jsonl); the TSV copy is "
                         "written beside it")
    tsv = out.with_suffix(".tsv")
    write_pool(records, out, tsv)
    for p in pools:
        systems = ", ".join(f"{s} {n}" for s, n in p.per_system.items())
        print(f"{p.dataset}: {len(p.records)} judgments would close the holes in the top "
              f"{args.depth} of {len(p.per_system)} systems ({p.n_queries} queries; unjudged "
              f"per system: {systems})")
    print(f"judging file: {out} and {tsv} (fill grade, who, when; name it in the dataset's "
          "qrels_extra:)")
    return 3 if refused else 0


def _judge_spec(path: str) -> Any:
    from embedgate.infra.textio import check_file
    from embedgate.suite.judge import load_judge

    return load_judge(check_file(path, "judge file"))


def _judge(spec: Any, pools: list[Any], out: Path) -> bool:
    """Label the pools with the judge; True when it was refused on some dataset."""
    from embedgate.labels.auto_label import label_pools

    judge = _build(spec)
    report = out.with_suffix(".judge.json")
    cals = label_pools(judge, spec, pools, report)
    for pool, cal in zip(pools, cals):
        print(f"{pool.dataset}: {cal.line(judge.name)}")
        print(f"  confusion (rows: qrels grade, columns: judge grade; grades {cal.labels}): "
              f"{cal.confusion}")
    print(f"judge calibration: {report}")
    return not all(c.accepted for c in cals)


def _build(spec: Any) -> Any:
    """The judge a spec describes: a chat model (cached answers) or a cross-encoder."""
    from embedgate.suite.judge import ChatJudgeSpec

    if isinstance(spec, ChatJudgeSpec):
        from embedgate.labels.llm_judge import ChatJudge
        from embedgate.tiers.qa.gencache import FILE_NAME, GenerationCache, default_cache_dir

        return ChatJudge(spec, GenerationCache(default_cache_dir() / FILE_NAME))
    from embedgate.labels.rerank_judge import RerankJudge

    return RerankJudge(spec)
