"""Compression tier end to end with keyword embedders (rows, rule, report), and its bad input."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.report.render import render
from embedgate.results.schema import RunResult

from tests.conftest import write_beir
from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.report import CORPUS, QRELS, QUERIES, XSS, keyword_result

SWEEP = """  compression:
    metrics: [nDCG@5, RR@5]
    top_k: 6
    precisions: [fp32, int8, binary]
    dims: [full, 32]
    rescore: [none, 2]
    index: [flat, hnsw]
    latency_queries: 3
    n_resamples: 200
    non_inferiority: {metric: nDCG@5, margin: 0.05}
"""


def _suite(root: Path, tiers: str, model: str = "packaged:all-MiniLM-L6-v2") -> Path:
    data = write_beir(root / "data", CORPUS, QUERIES, QRELS)
    path = root / "suite.yaml"
    path.write_text(f"""name: squeeze
seed: 3
embedders:
  - id: kw
    kind: sentence-transformers
    model: {model}
datasets:
  - id: toy
    format: beir
    path: {data}
tiers:
{tiers}""", encoding="utf-8")
    return path


@pytest.fixture
def result(tmp_path: Path) -> RunResult:
    return keyword_result(_suite(tmp_path, SWEEP), [KeywordEmbedder("kw")])


def test_sweep_rows_carry_direction_units_and_per_query_values(result: RunResult) -> None:
    details = result.details["compression/kw/toy"]
    ids = [c["id"] for c in details["configs"]]
    assert ids[0] == details["reference"] == "fp32/64d/flat" and len(ids) == 24
    ref = details["configs"][0]["quality"]["nDCG@5"]
    assert ref["delta"] == 0.0 and ref["ci"] == [0.0, 0.0] and ref["retention"] == 1.0
    row = result.metric("kw", "compression", "toy", "bytes_per_vector[binary/32d/flat]")
    assert row is not None and row.value == 4.0 and not row.higher_is_better and row.unit == "B"
    p50 = result.metric("kw", "compression", "toy", "search_p50[int8/64d/hnsw/rescore2]")
    assert p50 is not None and p50.unit == "ms" and not p50.higher_is_better and p50.n_queries == 3
    quality = result.metric("kw", "compression", "toy", "nDCG@5[int8/32d/flat]")
    assert quality is not None and quality.higher_is_better and quality.n_queries == 4
    values = result.values("kw", "compression", "toy", "RR@5[binary/64d/hnsw/rescore2]")
    assert values is not None and set(values) == {"q1", "q2", "q3", "q4"}


def test_rule_chooses_the_smallest_passing_configuration(result: RunResult) -> None:
    details = result.details["compression/kw/toy"]
    rule = details["rule"]
    passing = [c for c in details["configs"] if c["passes"]]
    assert rule["passing"] == [c["id"] for c in passing]
    smallest = min(c["bytes_per_vector"] for c in passing)
    chosen = next(c for c in details["configs"] if c["id"] == rule["chosen"])
    assert chosen["bytes_per_vector"] == smallest
    assert all(c["quality"]["nDCG@5"]["ci_improvement_low"] >= -0.05 for c in passing)
    assert any(c["pareto"] for c in details["configs"])


def test_report_shows_the_section_with_its_chart(result: RunResult) -> None:
    html = render(result)
    assert "Compression: bytes, speed and quality" in html
    assert 'data-key="compression-kw"' in html and "bytes per vector vs nDCG@5" in html
    assert XSS not in html  # corpus texts never reach the page unescaped
    assert "Other tiers" not in html  # its rows are not listed again as an unknown tier


def _error(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["run", str(path), "--out", str(path.parent / "out"), "-q"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(("tier", "line", "words"), [
    ("  compression:\n    precisions: [fp32, int4]\n", 13, "precisions"),
    ("  compression:\n    dims: [512]\n", 13, "exceeds the 384 dimensions"),
    ("  compression:\n    non_inferiority: {metric: nDCG@10, margin: 1.5}\n", 13, "margin"),
    ("  compression:\n    metrics: [nDCG@10]\n    non_inferiority: {metric: RR@10, margin: 0.01}\n",
     12, "not in metrics"),
    ("  compression:\n    precisions: [fp32, int8, binary]\n    dims: [384, 256, 128]\n"
     "    rescore: [none, 2, 4]\n    index: [flat, ivf, hnsw]\n", 12, "81 configurations"),
    ("  compression:\n    ann: {type: hnsw, M: 16}\n", 13, "ann.type"),
])
def test_bad_sweeps_fail_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            tier: str, line: int, words: str) -> None:
    message = _error(_suite(tmp_path, tier), capsys)
    assert f"suite.yaml:{line}:" in message and words in message, message
