"""`embedgate gate` and `embedgate compare`: judge saved results, never run models.

`gate` exits with the verdict code (0 pass, 1 regressed, 3 inconclusive); `compare` exits 0
once its outputs are written. Bad input is an InputError (exit 2) like everywhere else.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from embedgate.infra import atomic, cli_args
from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_file, check_name

if TYPE_CHECKING:  # the results schema is imported by the commands that read results
    from embedgate.results.schema import RunResult
    from embedgate.suite import LoadedSuite

log = logging.getLogger("embedgate")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    gate = sub.add_parser("gate", help="judge a results.json against a suite's gates "
                          "(exit 0 pass, 1 regressed, 3 inconclusive)")
    gate.add_argument("results")
    gate.add_argument("--baseline", help="baseline results.json (default: the suite's baseline:)")
    gate.add_argument("--gates", help="suite file with the gates (default: the suite that "
                      "produced the results, if it is still there)")
    gate.add_argument("--junit", help="also write the verdict as JUnit XML")
    gate.add_argument("--json", help="also write the verdict as JSON")
    gate.add_argument("--github", action="store_true", help="write a GitHub step summary, a "
                      "PR-comment file and annotations (automatic with $GITHUB_STEP_SUMMARY)")
    gate.add_argument("--gitlab-codequality", metavar="JSON", help="also write GitLab's Code "
                      "Quality report (one issue per gate that did not pass)")
    gate.add_argument("--control", action="store_true", help="re-encode the baseline's embedders "
                      "here to split each gated move into model and environment effects")
    gate.add_argument("--control-out", help="folder of the control run (default: control/ "
                      "beside the results)")
    gate.set_defaults(func=cmd_gate)
    comp = sub.add_parser("compare", help="leaderboards with significance tests over results files")
    comp.add_argument("results", nargs="+", help="results.json files (one N-embedder run is enough)")
    comp.add_argument("--test", choices=("randomization", "t-test"), default="randomization")
    comp.add_argument("--alpha", type=cli_args.probability, default=0.05)
    comp.add_argument("--n-resamples", type=cli_args.int_range(1, 10_000_000, "a resample count"), default=10_000)
    comp.add_argument("--seed", type=cli_args.seed, default=0)
    comp.add_argument("--published", action="append", default=[], metavar="PATH",
                      help="published MTEB results (a TaskResult JSON or a results-repository "
                           "folder) shown as reference rows, not tested (repeatable)")
    comp.add_argument("--task", action="append", default=[], metavar="DATASET=TaskName",
                      help="MTEB task of a dataset for --published (BEIR names map alone)")
    comp.add_argument("--published-split", default="test", help="split of the published figures")
    comp.add_argument("--md", help="write the Markdown summary here (default: print it)")
    comp.add_argument("--junit", help="write JUnit XML here")
    comp.add_argument("--json", help="write the full comparison as JSON here")
    comp.set_defaults(func=cmd_compare)


def cmd_gate(args: argparse.Namespace) -> int:
    from embedgate.judge import gating
    from embedgate.judge.explain import gate_section
    from embedgate.suite import load_suite
    from embedgate.results.schema import RunResult

    for option in ("junit", "json", "gitlab_codequality"):
        if getattr(args, option):
            flag = "--" + option.replace("_", "-")
            atomic.check_writable_file(check_name(getattr(args, option), flag), flag)
    current = RunResult.load(check_name(args.results, "results file"))
    loaded = load_suite(_suite_path(args.gates, current))
    if not loaded.suite.gates:
        raise InputError(f"{loaded.doc.path}: the suite has no gates; add a `gates:` list "
                         "(see README, Gates)")
    plan = gating.plan(loaded, check_name(args.baseline, "--baseline") if args.baseline else None)
    verdict = plan.judge(current)
    gating.print_verdict(verdict)
    judged = current.model_copy(update={"verdict": verdict})
    why = gate_section(judged, plan.baseline)  # why the gated figures moved, when one did
    for line in why:
        print(line)
    if args.control:
        why += _control(args, loaded, judged, plan.baseline)
    _write_outputs(args, judged, why, loaded.suite.name)
    return verdict.exit_code


def _write_outputs(args: argparse.Namespace, judged: RunResult, why: list[str], suite: str) -> None:
    """The optional files: GitHub summary / comment / annotations, JUnit, JSON, Code Quality."""
    from embedgate.cli import github
    from embedgate.report.gitlab import codequality
    from embedgate.report.junit import verdict_xml

    assert judged.verdict is not None
    if github.wanted(args.github):
        results = Path(args.results)
        github.write(judged, why, results.parent, results.with_name("report.html"))
    files: dict[Path, str] = {}  # written as one unit: all or none
    if args.junit:
        files[Path(args.junit)] = verdict_xml(judged.verdict, suite)
    if args.json:
        files[Path(args.json)] = atomic.json_text(judged.verdict.model_dump(mode="json"))
    if args.gitlab_codequality:
        files[Path(args.gitlab_codequality)] = atomic.json_text(codequality(judged))
    atomic.write_all(files)


def _control(args: argparse.Namespace, loaded: LoadedSuite, current: RunResult,
             baseline: RunResult | None) -> list[str]:
    from embedgate.judge.gating import gated_rows
    from embedgate.run.control import run_control

    if baseline is None:
        raise InputError("--control needs a baseline (the suite's baseline: or --baseline)")
    out = (check_name(args.control_out, "--control-out") if args.control_out
           else Path(args.results).parent / "control")
    lines = run_control(loaded, current, baseline, gated_rows(current.verdict), out)
    for line in lines:
        print(line)
    return lines


def _suite_path(option: str | None, current: RunResult) -> Path:
    if option:
        return check_file(option, "gates suite file")
    recorded = Path(current.suite.file)
    if not recorded.is_file():
        raise InputError(f"the suite that produced the results ({recorded}) is not here; "
                         "pass the gates with --gates SUITE.yaml")
    return recorded


def cmd_compare(args: argparse.Namespace) -> int:
    from embedgate.judge.compare import compare
    from embedgate.report.markdown import to_markdown
    from embedgate.report.junit import compare_xml
    from embedgate.results.schema import RunResult

    for option in ("md", "junit", "json"):
        if getattr(args, option):
            atomic.check_writable_file(check_name(getattr(args, option), f"--{option}"),
                                       f"--{option}")
    paths = [check_name(p, "results file") for p in args.results]
    labels = [_label(p, i) for i, p in enumerate(paths)]
    labels = [lab if labels.count(lab) == 1 else f"{lab}#{i + 1}" for i, lab in enumerate(labels)]
    runs = [(lab, RunResult.load(p)) for lab, p in zip(labels, paths)]
    if args.published:
        from embedgate.cli.export import task_map
        from embedgate.interop.published import check_matches, published_runs

        refs = published_runs([check_name(p, "--published") for p in args.published],
                              task_map(args.task), args.published_split)
        check_matches(refs, {d for _, r in runs for d in r.datasets},
                      "map it with --task DATASET=TaskName")
        runs += refs
    report = compare(runs, method=args.test, alpha=args.alpha, n_resamples=args.n_resamples,
                     seed=args.seed)
    markdown = to_markdown(report)
    files: dict[Path, str] = {}  # written as one unit: all or none
    if args.md:
        files[Path(args.md)] = markdown
    if args.junit:
        files[Path(args.junit)] = compare_xml(report)
    if args.json:
        files[Path(args.json)] = atomic.json_text(report.model_dump(mode="json"))
    atomic.write_all(files)
    if not args.md:
        print(markdown)
    for label, option in (("markdown:", args.md), ("junit:", args.junit), ("json:", args.json)):
        if option:
            print(f"{label:9s} {option}")
    return 0


def _label(path: Path, index: int) -> str:
    """`reports/quickstart/results.json` -> "quickstart"; `base.json` -> "base"."""
    name = path.parent.name if path.stem == "results" and path.parent.name else path.stem
    return name or f"run{index + 1}"
