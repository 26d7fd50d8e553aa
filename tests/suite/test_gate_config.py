"""The `gates:` schema and threshold syntax: bad gates fail at load time with file:line."""
from __future__ import annotations

from pathlib import Path

import pytest
from embedgate.cli.entry import main
from embedgate.suite import load_suite
from embedgate.infra.errors import InputError
from embedgate.suite.thresholds import Bound, Drop, parse_bound, parse_drop

from tests.conftest import FIXTURES

HEAD = f"""name: g
embedders:
  - {{id: m3e-small, kind: sentence-transformers, model: "packaged:m3e-small"}}
  - {{id: minilm, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2"}}
datasets:
  - {{id: domain, format: beir, path: "{FIXTURES / 'domain'}"}}
tiers:
  retrieval: {{metrics: [nDCG@10]}}
gates:
"""


def _load(tmp_path: Path, gate: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(HEAD + gate, encoding="utf-8")
    load_suite(path)


@pytest.mark.parametrize("gate,message", [
    ("  - {embedder: m3e-smal, tier: retrieval, metric: nDCG@10, absolute: '>= 0.5'}",
     (r'suite.yaml:10: gates\[0\]\.embedder: unknown embedder "m3e-smal" \(did you mean '
     r'"m3e-small"\?\)')),
    ("  - {embedder: m3e-small, tier: retreival, metric: nDCG@10, absolute: '>= 0.5'}",
     r'suite.yaml:10: gates\[0\]\.tier: unknown tier "retreival" \(did you mean "retrieval"\?\)'),
    ("  - {embedder: m3e-small, versus: mini, tier: retrieval, metric: nDCG@10, max_drop: 0.1}",
     r'gates\[0\]\.versus: unknown embedder "mini"'),
    ("  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10}",
     r"exactly one of absolute, max_drop, non_inferiority \(got none\)"),
    (("  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10, absolute: '>= 0.5',\n"
     "     max_drop: 0.1}"), r"\(got absolute, max_drop\)"),
    ("  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10, absolute: 0.5}",
     r"is not '<op> <number> \[unit\]'"),
    ("  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10, max_drop: lots}",
     r'write 0.01 \(absolute\) or "2%"'),
    (("  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10,\n"
     "     non_inferiority: {margin: 0.1, confidence: 1.5}}"), r"confidence"),
    (("  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10,\n"
     "     non_inferiority: {margin: 0.1, method: bootstrapp}}"), r"method"),
    ("  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10, absolute: '>= 0.5', marign: 1}",
     r'unknown key "marign"'),
    (("  - {embedder: m3e-small, versus: minilm, tier: retrieval, metric: nDCG@10,\n"
     "     absolute: '>= 0.5'}"), r"versus compares with another embedder"),
    (("  - {name: a, embedder: m3e-small, tier: retrieval, metric: nDCG@10, absolute: '>= 0.5'}\n"
     "  - {name: a, embedder: minilm, tier: retrieval, metric: nDCG@10, absolute: '>= 0.1'}"),
     r'suite.yaml:11: duplicate gate name "a"'),
])
def test_bad_gates_are_refused_at_load(tmp_path: Path, gate: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _load(tmp_path, gate)


def test_valid_gates_load_with_default_names(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(HEAD + "  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10, "
                    "max_drop: '2%'}\n  - {embedder: minilm, tier: retrieval, metric: nDCG@10, "
                    "absolute: '<=0.4'}\nbaseline: base.json\n", encoding="utf-8")
    suite = load_suite(path).suite
    assert [g.label for g in suite.gates] == ["m3e-small-retrieval-nDCG@10-max_drop",
                                             "minilm-retrieval-nDCG@10-absolute"]
    assert suite.gates[1].absolute == "<= 0.4"  # canonical form
    assert suite.baseline == Path("base.json")


def test_run_with_a_missing_baseline_is_bad_input_before_models(tmp_path: Path, capsys) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(HEAD + "  - {embedder: m3e-small, tier: retrieval, metric: nDCG@10, "
                    "max_drop: 0.01}\nbaseline: nowhere.json\n", encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "suite.yaml:11: baseline results" in err and "nowhere.json not found" in err
    assert "--no-gates" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text,bound", [
    (">= 0.55", Bound(">=", 0.55)), ("<=120 ms", Bound("<=", 120.0, "ms")),
    ("> -1e-3", Bound(">", -0.001)), ("< .5 x", Bound("<", 0.5, "x")),
])
def test_parse_bound(text: str, bound: Bound) -> None:
    assert parse_bound(text) == bound


def test_bound_holds_at_the_edge_and_strictly() -> None:
    assert parse_bound(">= 0.3").holds(0.1 + 0.2)  # 0.30000000000000004 and 0.3 both meet it
    assert parse_bound("<= 0.3").holds(0.1 + 0.2)
    assert not parse_bound("> 0.3").holds(0.3)
    assert not parse_bound("< 0.3").holds(0.3)
    assert not parse_bound(">= 0.3").holds(0.2999)


@pytest.mark.parametrize("text,drop,allowed", [
    (0.01, Drop(0.01, False), 0.01), ("2%", Drop(0.02, True), 0.012), (0, Drop(0.0, False), 0.0),
    ("0.5 %", Drop(0.005, True), 0.003),
])
def test_parse_drop(text: object, drop: Drop, allowed: float) -> None:
    assert parse_drop(text) == drop
    assert parse_drop(text).allowed(0.6) == pytest.approx(allowed)


@pytest.mark.parametrize("text", ["= 0.5", ">= abc", "0.5", None])
def test_bad_bounds(text: object) -> None:
    with pytest.raises(ValueError, match="e.g."):
        parse_bound(text)


@pytest.mark.parametrize("text", [-0.1, "-2%", True, "two"])
def test_bad_drops(text: object) -> None:
    with pytest.raises(ValueError):
        parse_drop(text)
