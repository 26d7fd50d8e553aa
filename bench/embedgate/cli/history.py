"""`embedgate history`: the run store (history/): trends, import, the pinned reference, drift.

    embedgate history SUITE [--last N]          each gated metric over the last N runs
    embedgate history --import A.json B.json    add existing results files
    embedgate history SUITE --pin RUN_ID        the drift gate's reference run
    embedgate history --drift RESULTS.json      the run against the pinned reference
                                                (exit 0 pass, 1 regressed)
`embedgate run --history` appends each run. The store is `--store FILE` (SQLite), else the
PostgreSQL database named by $EMBEDGATE_HISTORY_DSN, else reports/history.sqlite.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedgate.infra import cli_args
from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_name

if TYPE_CHECKING:
    from embedgate.history.store import RunStore
    from embedgate.results.schema import RunResult

TREND_RUNS = 20


def add_parser(sub: Any) -> None:
    p = sub.add_parser("history", help="gated metrics over the stored runs; import, pin, drift",
                       description=__doc__.splitlines()[0])
    p.add_argument("suite", nargs="?", help="the suite's name (as in its results)")
    p.add_argument("--store", help="SQLite history file (default: $EMBEDGATE_HISTORY_DSN, "
                   "else reports/history.sqlite)")
    p.add_argument("--last", type=cli_args.int_range(1, 100_000, "a run count"), default=TREND_RUNS)
    p.add_argument("--import", dest="imports", nargs="+", metavar="RESULTS",
                   help="add results.json files to the store")
    p.add_argument("--pin", metavar="RUN_ID", help="pin this run as the suite's drift reference")
    p.add_argument("--drift", metavar="RESULTS", help="compare a results.json with the pinned "
                   "reference (exit 1 when a gated figure is worse by more than --margin)")
    p.add_argument("--margin", type=cli_args.float_range(0.0, what="a margin"), default=0.02)
    p.set_defaults(func=cmd_history)


def store_path(option: str | None) -> Path | None:
    return check_name(option, "--store") if option else None


def cmd_history(args: argparse.Namespace) -> int:
    from embedgate.history.store import open_store

    with open_store(store_path(args.store)) as store:
        if args.imports:
            return _import(store, args.imports)
        if args.drift:
            return _drift(store, args.drift, args.margin)
        if not args.suite:
            raise InputError("history: name a suite (or use --import / --drift); see "
                             "`embedgate history --help`")
        if args.pin:
            store.pin(args.suite, args.pin)
            print(f"pinned run {args.pin} as the drift reference of suite {args.suite}")
            return 0
        return _show(store, args.suite, args.last)


def _import(store: RunStore, files: list[str]) -> int:
    from embedgate.history.record import from_result
    from embedgate.results.schema import RunResult

    for name in files:
        path = check_name(name, "results file")
        added = store.append(from_result(RunResult.load(path), str(path)))
        print(f"{'imported' if added else 'already stored'}: {path}")
    return 0


def _show(store: RunStore, suite: str, last: int) -> int:
    from embedgate.history.record import Key
    from embedgate.history.trend import table

    runs = store.runs(suite, last)
    if not runs:
        raise InputError(f"{store.where}: no runs of suite {suite!r}; append with "
                         "`embedgate run SUITE --history` or `embedgate history --import`")
    keys: list[Key] = list(dict.fromkeys(tuple(k) for r in runs  # type: ignore[misc]
                                         for k in r.payload.get("gated", [])))
    for line in table(runs, keys or _all_keys(runs)):
        print(line)
    pinned = store.pinned(suite)
    print(f"drift reference: {pinned.run_id if pinned else 'none (pin one with --pin RUN_ID)'}")
    return 0


def _all_keys(runs: list[Any]) -> list[Any]:
    return list(dict.fromkeys(tuple(m[:4]) for r in runs for m in r.payload.get("metrics", [])))


def _drift(store: RunStore, results: str, margin: float) -> int:
    from embedgate.results.schema import RunResult

    current = RunResult.load(check_name(results, "--drift"))
    lines, status = drift_lines(store, current, margin)
    for line in lines:
        print(line)
    return 1 if status == "regressed" else 0


def drift_lines(store: RunStore, current: RunResult, margin: float) -> tuple[list[str], str]:
    """The drift gate's lines and status ("pass", "regressed", or "none" without a pin)."""
    from embedgate.history.record import from_result, gated_keys
    from embedgate.history.trend import data_note, drift

    reference = store.pinned(current.suite.name)
    if reference is None:
        return [f"drift: no reference run pinned for suite {current.suite.name!r} "
                "(embedgate history SUITE --pin RUN_ID)"], "none"
    record = from_result(current, "")
    found = drift(record, reference, gated_keys(current), margin)
    status = "regressed" if any(d.status == "regressed" for d in found) else "pass"
    note = data_note(record, reference)
    return [d.line() for d in found] + ([note] if note else []) + [
        f"drift verdict: {status} (reference run {reference.run_id}, {reference.created_at})"], status


class AppendRun:
    """`run --history`, called by the runner before it writes results: append the run, run the
    drift gate, put the trend into results.json (the report draws it). A store fault is one
    line and `code` (2 or 4); the run's own results are written regardless."""

    def __init__(self, option: str, margin: float) -> None:
        self.option = option
        self.margin = margin
        self.code = 0
        self.lines: list[str] = []

    def __call__(self, result: RunResult, target: Path) -> RunResult:
        from embedgate.history.record import from_result, gated_keys
        from embedgate.history.store import open_store
        from embedgate.history.trend import series
        from embedgate.infra.errors import EmbedgateError

        record = from_result(result, str(target / "results.json"))
        try:
            with open_store(store_path(self.option)) as store:
                store.append(record)
                runs = store.runs(result.suite.name, TREND_RUNS)
                drift, status = drift_lines(store, result, self.margin)
                where = store.where
        except EmbedgateError as exc:
            self.lines = [f"embedgate: error: history not recorded: {exc}"]
            self.code = exc.exit_code
            return result
        self.code = 1 if status == "regressed" else 0
        self.lines = drift + [f"history: run {record.run_id} appended to {where}"]
        details = {**result.details, "history": {
            "store": where, "run_id": record.run_id, "drift": drift,
            "series": [{"key": list(s.key), "run_ids": s.run_ids, "values": s.values}
                       for s in series(runs, gated_keys(result))]}}
        return result.model_copy(update={"details": details})
