"""`embedgate selfcheck [--scifact PATH] [--quick]`: checks to run before trusting a machine.

Prints a pass/fail table and the machine; exit 0 when every check passes (a skipped SciFact
reproduction is said in the verdict, not counted as a failure), 1 when one fails, 2 for bad
input (a --scifact path that is not a BEIR folder).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedgate.benchmarks.common import SCIFACT, machine_load, print_table
from embedgate.run.provenance import cpu_model, package_versions

if TYPE_CHECKING:
    from embedgate.run.selfcheck import Check

DEFAULT_REL = Path("..") / "shared" / "datasets" / "scifact"
VERSIONS = ("torch", "sentence-transformers", "ir-measures", "ranx", "faiss-cpu")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("selfcheck", help="reproduce a published figure and check metric parity "
                       "on this machine", description=__doc__.splitlines()[0])
    p.add_argument("--scifact", type=Path, default=None,
                   help=f"BEIR SciFact folder (default: {DEFAULT_REL} from the current "
                        "directory, else beside the project)")
    p.add_argument("--quick", action="store_true",
                   help="skip the SciFact reproduction (minutes); metric and test parity only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from embedgate.run import selfcheck  # numpy, ranx, ir-measures: only when checking

    path, missing = _scifact_path(args.scifact)
    if args.scifact is not None:
        from embedgate.inputs.beir import load_beir

        load_beir("scifact", path, "test")  # not a BEIR folder: one line, exit 2, before any check
    checks = selfcheck.metric_checks() + selfcheck.stats_checks()
    if args.quick:
        checks.append(selfcheck.scifact_skipped("skipped: --quick"))
    elif missing:
        checks.append(selfcheck.scifact_skipped(f"skipped: no SciFact at {path}; "
                                                "pass --scifact PATH"))
    else:
        checks.append(selfcheck.scifact_check(path))
    _print(checks)
    code, line = selfcheck.verdict(checks)
    print(line)
    return code


def _scifact_path(given: Path | None) -> tuple[Path, bool]:
    """The folder to use and whether it is missing (only the default may be missing)."""
    if given is not None:
        return given, False
    for candidate in (Path.cwd() / DEFAULT_REL, SCIFACT):
        if (candidate / "corpus.jsonl").is_file():
            return candidate.resolve(), False
    return (Path.cwd() / DEFAULT_REL).resolve(), True


def _print(checks: list[Check]) -> None:
    print_table(["check", "expected", "got", "tolerance", "status", "seconds", "note"],
                [[c.name, c.expected, c.got, c.tolerance, c.status, f"{c.seconds:.2f}", c.note]
                 for c in checks])
    versions = package_versions()
    print(f"machine: {cpu_model()}, {machine_load()}")
    print("versions: " + ", ".join(f"{n} {versions.get(n, 'not installed')}" for n in VERSIONS))
