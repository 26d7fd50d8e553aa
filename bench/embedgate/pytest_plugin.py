"""pytest plugin (entry point ``pytest11``): every gate of a suite becomes a test item.

``pytest suites/`` collects each YAML suite with a ``gates:`` list that sits in a directory
named ``suites`` (ini option ``embedgate_suite_dirs`` changes the names), runs the suite once
(or reads ``--embedgate-results PATH``) and reports each gate as passed or failed, with metric,
value, threshold, baseline and confidence interval in the failure message. ``-k``, ``-x`` and
``--junitxml`` work as usual; gate numbers also land in JUnit ``<properties>``.

A project's own test run never collects suites by accident: only files in such directories
that declare gates are collected, and this module imports nothing heavy until a suite is.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from embedgate.suite import LoadedSuite
    from embedgate.results.verdict import GateOutcome, Verdict


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("embedgate", "embedgate suites as tests")
    group.addoption("--embedgate-results", metavar="PATH",
                    help="judge saved results instead of running suites: a results.json, or a "
                         "directory holding <suite name>/results.json")
    group.addoption("--embedgate-baseline", metavar="PATH",
                    help="baseline results.json for every suite (default: each suite's baseline:)")
    group.addoption("--embedgate-out", metavar="DIR",
                    help="run outputs go to DIR/<suite name> (default: each suite's output dir)")
    group.addoption("--embedgate-inconclusive", choices=("fail", "skip"), default="fail",
                    help="how an inconclusive gate is reported (default: fail)")
    parser.addini("embedgate_suite_dirs", type="args", default=["suites"],
                  help="names of directories whose YAML suites with gates are collected")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    if file_path.parent.name not in parent.config.getini("embedgate_suite_dirs"):
        return None
    if not _declares_gates(file_path):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


def _declares_gates(path: Path) -> bool:
    """Cheap look before collecting; unreadable YAML is collected so its error is shown.

    Reads through `load_yaml`, whose limits keep an alias bomb from hanging collection."""
    from embedgate.infra.errors import InputError
    from embedgate.suite.yamlsrc import load_yaml

    try:
        data = load_yaml(path).data
    except InputError:
        return True
    return isinstance(data, dict) and bool(data.get("gates"))


class GateFailed(Exception):
    """A gate did not pass; carries its outcome for the failure message."""

    def __init__(self, outcome: GateOutcome) -> None:
        super().__init__(outcome.message())
        self.outcome = outcome


class SuiteFile(pytest.File):
    """A suite file; judged once, lazily, when its first gate item runs."""

    _verdict: Verdict | None = None
    _error: Exception | None = None

    def collect(self) -> list[GateItem]:
        from embedgate.suite import load_suite
        from embedgate.infra.errors import EmbedgateError

        try:
            self.loaded = load_suite(self.path)
        except EmbedgateError as exc:
            raise self.CollectError(str(exc)) from None
        return [GateItem.from_parent(self, name=gate.label, index=i)
                for i, gate in enumerate(self.loaded.suite.gates)]

    def verdict(self) -> Verdict:
        if self._verdict is None and self._error is None:
            try:
                self._verdict = _judge(self.loaded, self.config)
            except Exception as exc:  # noqa: BLE001 - every gate reports the suite's failure
                self._error = exc
        if self._error is not None:
            raise self._error
        assert self._verdict is not None
        return self._verdict


def _judge(loaded: LoadedSuite, config: pytest.Config) -> Verdict:
    from embedgate.judge import gating

    results_opt = config.getoption("embedgate_results")
    baseline_opt = config.getoption("embedgate_baseline")
    baseline = Path(baseline_opt) if baseline_opt else None
    result = _saved(Path(results_opt), loaded) if results_opt else _run(loaded, config, baseline)
    return gating.plan(loaded, baseline).judge(result)


def _saved(path: Path, loaded: LoadedSuite) -> Any:
    from embedgate.infra.errors import InputError
    from embedgate.results.schema import RunResult

    if path.is_dir():
        candidates = [path / loaded.suite.name / "results.json", path / "results.json"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise InputError(f"--embedgate-results {path}: no {candidates[0]} or {candidates[1]}")
        path = found
    return RunResult.load(path)


def _run(loaded: LoadedSuite, config: pytest.Config, baseline: Path | None) -> Any:
    from embedgate.run.runner import run_suite

    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    out_opt = config.getoption("embedgate_out")
    out = Path(out_opt) / loaded.suite.name if out_opt else None
    result, _ = run_suite(loaded, out=out, progress=False, baseline=baseline)
    return result


class GateItem(pytest.Item):
    """One gate of a suite."""

    def __init__(self, *, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index
        assert isinstance(self.parent, SuiteFile)
        gate = self.parent.loaded.suite.gates[index]
        self.extra_keyword_matches.update(
            {gate.embedder, gate.tier, gate.metric, gate.kind, gate.dataset or "",
             gate.versus or ""} - {""})

    def runtest(self) -> None:
        assert isinstance(self.parent, SuiteFile)
        outcome = self.parent.verdict().gates[self.index]
        for key in ("metric", "value", "threshold", "baseline", "ci", "p_value", "status"):
            self.user_properties.append((key, getattr(outcome, key)))
        if outcome.status == "inconclusive" and \
                self.config.getoption("embedgate_inconclusive") == "skip":
            pytest.skip(outcome.message())
        if outcome.status != "pass":
            raise GateFailed(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        from embedgate.infra.errors import EmbedgateError

        if isinstance(excinfo.value, GateFailed):
            o = excinfo.value.outcome
            return f"{o.message()}\n  gate at {o.where}"
        if isinstance(excinfo.value, EmbedgateError):
            return f"embedgate: {type(excinfo.value).__name__}: {excinfo.value}"
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        assert isinstance(self.parent, SuiteFile)
        where = self.parent.loaded.where(("gates", self.index))
        line = int(where.rsplit(":", 1)[1]) - 1 if ":" in where else 0
        return self.path, line, f"gate {self.name}"
