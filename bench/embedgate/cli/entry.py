"""`embedgate` command line. The only place that turns errors into exit codes.

Exit codes: 0 pass, 1 regressed, 2 bad input, 3 inconclusive, 4 infrastructure error.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from embedgate.infra import cli_args
from embedgate.infra.atomic import check_writable_file
from embedgate.infra.errors import EmbedgateError
from embedgate.infra.textio import check_file, check_name

log = logging.getLogger("embedgate")


def _cmd_run(args: argparse.Namespace) -> int:
    from embedgate.suite import load_suite
    from embedgate.cli.cache import run_overrides
    from embedgate.run.runner import run_suite

    loaded = load_suite(check_file(args.suite, "suite file"))
    if args.no_gates:
        from embedgate.judge.gating import without_gates

        loaded = without_gates(loaded)
    if args.dry_run:  # count what HTTP embedders would send; send nothing, write nothing
        from embedgate.run.estimate import dry_run

        return dry_run(loaded)
    from embedgate.cli.history import AppendRun

    history = AppendRun(args.history, args.drift_margin) if args.history is not None else None
    result, target = run_suite(loaded, out=check_name(args.out, "--out") if args.out else None,
                               threads=args.threads, progress=not args.quiet,
                               baseline=Path(args.baseline) if args.baseline else None,
                               encode=run_overrides(args), finish=history)
    _print_summary(result)
    print(f"results: {target / 'results.json'}")
    print(f"report:  {target / 'report.html'}")
    from embedgate.judge.gating import print_verdict

    print_verdict(result.verdict)
    from embedgate.judge.explain import gate_rows, gate_section, verdict_baseline

    # the baseline file is read again only when a gated figure needs explaining
    why = gate_section(result, verdict_baseline(result)) if gate_rows(result.verdict) else []
    for line in why:
        print(line)
    from embedgate.cli import github

    if github.wanted(args.github):
        github.write(result, why, target, target / "report.html")
    code = result.verdict.exit_code if result.verdict is not None else 0
    if history is not None:
        for line in history.lines:
            print(line, file=sys.stderr if history.code in (2, 4) else sys.stdout)
        # a store fault (2, 4) is the job's outcome; a drift regression (1) beats inconclusive
        code = history.code if history.code in (1, 2, 4) else code
    return code


def _print_summary(result: object) -> None:
    """Whole-set rows on stdout; per-slice rows (``metric[slice]``) stay in the files."""
    from embedgate.report.values import value_text
    from embedgate.results.schema import RunResult

    assert isinstance(result, RunResult)
    sliced = 0
    for row in result.metrics:
        if "[" in row.metric:
            sliced += 1
            continue
        # money keeps 3 significant digits: a cost per 1k queries is often under 0.0001 USD
        print(f"{row.tier:10s} {row.dataset:14s} {row.embedder:22s} {row.metric:10s} "
              f"{value_text(row.value, row.unit)}")
    if sliced:
        print(f"(+{sliced} per-slice rows in results.json and the report)")


def _cmd_report(args: argparse.Namespace) -> int:
    from embedgate.report.render import render_file

    src = check_file(args.results, "results file")
    out = check_writable_file(Path(args.out) if args.out else src.with_name("report.html"),
                              "--out")
    baseline = check_name(args.baseline, "--baseline") if args.baseline else None
    print(f"report: {render_file(src, out, baseline)}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from embedgate.suite import load_suite
    from embedgate.tiers.qa.files import check_ratings

    loaded = load_suite(check_file(args.suite, "suite file"))
    rated = check_ratings(loaded)  # the one data file validate opens: it fails runs late
    print(f"{args.suite}: ok ({len(loaded.suite.embedders)} embedders, "
          f"{len(loaded.suite.datasets)} datasets{f', {rated} ratings' if rated else ''})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = cli_args.Parser(prog="embedgate", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a suite and write results.json + report.html")
    run.add_argument("suite")
    run.add_argument("--out", help="output directory (default: suite output.dir or reports/<name>)")
    run.add_argument("--threads", type=cli_args.threads, help="CPU threads for encoding and search")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    run.add_argument("--baseline", help="baseline results.json for the gates (default: the "
                     "suite's baseline:)")
    run.add_argument("--no-gates", action="store_true",
                     help="skip the gates (e.g. to produce a suite's first baseline)")
    run.add_argument("--dry-run", action="store_true",
                     help="print the texts, tokens and requests HTTP embedders would send; "
                          "send nothing")
    run.add_argument("--history", nargs="?", const="", metavar="STORE",
                     help="append the run to the history store (SQLite file STORE, else "
                     "$EMBEDGATE_HISTORY_DSN, else reports/history.sqlite) and run the drift gate")
    run.add_argument("--github", action="store_true", help="write a GitHub step summary, "
                     "a PR-comment file and annotations (automatic when $GITHUB_STEP_SUMMARY is set)")
    run.add_argument("--drift-margin", type=cli_args.float_range(0.0, what="a margin"),
                     default=0.02, help="the drift gate's margin (default: 0.02)")
    run.set_defaults(func=_cmd_run)
    from embedgate.cli.cache import add_parser as add_cache_parser, add_run_arguments

    add_run_arguments(run)
    add_cache_parser(sub)
    rep = sub.add_parser("report", help="render report.html from a results.json")
    rep.add_argument("results")
    rep.add_argument("--out", help="HTML file to write (default: report.html beside results)")
    rep.add_argument("--baseline", help="baseline results.json for deltas and the drill-down "
                     "(default: the baseline the run's gates used, when readable)")
    rep.set_defaults(func=_cmd_report)
    val = sub.add_parser("validate", help="check a suite file without running it")
    val.add_argument("suite")
    val.set_defaults(func=_cmd_validate)
    from embedgate.cli.gate import add_parsers as add_gate_parsers

    add_gate_parsers(sub)
    from embedgate.benchmarks import add_parser as add_bench_parser

    add_bench_parser(sub)
    from embedgate.cli.serve import add_parser as add_serve_parser

    add_serve_parser(sub)
    from embedgate.cli.finetune import add_parser as add_finetune_parser

    add_finetune_parser(sub)
    from embedgate.cli.quantize import add_parser as add_quantize_parser

    add_quantize_parser(sub)
    from embedgate.cli.selfcheck import add_parser as add_selfcheck_parser

    add_selfcheck_parser(sub)
    from embedgate.cli.power import add_parser as add_power_parser

    add_power_parser(sub)
    from embedgate.cli.export import add_parser as add_export_parser

    add_export_parser(sub)
    from embedgate.cli.pool import add_parser as add_pool_parser

    add_pool_parser(sub)
    from embedgate.cli.explain import add_parser as add_explain_parser

    add_explain_parser(sub)
    from embedgate.cli.history import add_parser as add_history_parser

    add_history_parser(sub)
    return parser


def _setup_logging(verbose: bool) -> None:
    """Our log lines on stderr; third-party chatter only when asked for (-v)."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(name)s: %(message)s", stream=sys.stderr)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("faiss", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad option, already reported in one line (2)
        return exc.code if isinstance(exc.code, int) else 2
    _setup_logging(args.verbose)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except EmbedgateError as exc:
        print(f"embedgate: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except ValueError as exc:
        if "embedded null byte" not in str(exc) or args.verbose:
            return _internal_error(exc, args.verbose)
        # pathlib / os refuse NUL bytes; a path that reached them unchecked is still bad input
        print("embedgate: error: a path in the suite or on the command line contains a NUL byte "
              "(\\0); remove it", file=sys.stderr)
        return 2
    except Exception as exc:  # the last line of defence: a bug, never a bare traceback
        return _internal_error(exc, args.verbose)


def _internal_error(exc: Exception, verbose: bool) -> int:
    if verbose:
        raise exc
    first = str(exc).splitlines()[0] if str(exc) else ""
    print(f"embedgate: internal error: {type(exc).__name__}: {first} (a bug; rerun with -v "
          "for the traceback and report it)", file=sys.stderr)
    return 4


def _interrupted() -> int:
    """Ctrl-C: one line, exit 130. Finished cache chunks are committed; results.json is written
    last and atomically, so an interrupted run leaves none behind."""
    print("embedgate: interrupted; finished cache chunks are kept, no results were written; "
          "rerun to continue from the cache", file=sys.stderr)
    return 130


if __name__ == "__main__":
    sys.exit(main())
