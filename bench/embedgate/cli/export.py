"""`embedgate export RESULTS.json --format mteb|hf DIR`: results in other tools' formats.

Exit 0 once DIR is written (atomically: all of it or nothing); bad input exits 2.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_name


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    exp = sub.add_parser("export", help="write results in MTEB's results layout or as "
                         "Hugging Face model-card metadata")
    exp.add_argument("results", help="results.json written by `embedgate run`")
    exp.add_argument("--format", choices=("mteb", "hf"), required=True)
    exp.add_argument("out", help="new folder to write")
    exp.add_argument("--task", action="append", default=[], metavar="DATASET=TaskName",
                     help="MTEB task name of a dataset (BEIR names such as scifact map alone)")
    exp.add_argument("--model", help="model name, e.g. org/name (one-embedder results only)")
    exp.add_argument("--language", action="append", default=[], metavar="LANG",
                     help="MTEB language code of the data, e.g. eng-Latn (repeatable)")
    exp.set_defaults(func=cmd_export)


def task_map(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        dataset, sep, task = item.partition("=")
        if not sep or not dataset.strip() or not task.strip():
            raise InputError(f"--task {item!r}: expected DATASET=TaskName, e.g. scifact=SciFact")
        out[dataset.strip()] = task.strip()
    return out


def cmd_export(args: argparse.Namespace) -> int:
    from embedgate.interop.hf_export import hf_files
    from embedgate.interop.mteb_export import ExportOptions, mteb_files
    from embedgate.interop.outdir import check_target, write_tree
    from embedgate.results.schema import RunResult

    out = check_name(args.out, "export folder")
    check_target(out)  # before reading anything: a wrong folder fails first
    run = RunResult.load(check_name(args.results, "results file"))
    opts = ExportOptions(tasks=task_map(args.task), model=args.model,
                         languages=tuple(args.language))
    files = mteb_files(run, opts) if args.format == "mteb" else hf_files(run, opts)
    for path in write_tree(Path(out), files):
        print(path)
    return 0
