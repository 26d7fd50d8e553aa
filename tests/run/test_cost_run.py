"""Cost per 1,000 queries end to end: a suite run with keyword embedders writes cost rows with
their inputs, and the leaderboard (report and `embedgate compare`) shows them from the JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.embedders.http import estimate_tokens
from embedgate.embedders.registry import register_embedder
from embedgate.infra.errors import InputError
from embedgate.judge.compare import compare
from embedgate.results.schema import RunResult
from embedgate.suite import suite as suite_module

from tests.conftest import write_beir
from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.report import CORPUS, QRELS, QUERIES

COST = """cost:
  cpu_usd_per_hour: 0.036
  ram_usd_per_gb_month: 2.5
  queries_per_month: 1000
  embedders:
    kw-api: {price_usd_per_million_tokens: 50.0, note: "what if billed like an API"}
"""


@pytest.fixture
def keyword_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kind: keyword-test` builds the deterministic keyword embedder, as a plugin would."""
    register_embedder("keyword-test", lambda spec, env: KeywordEmbedder(id=spec.id, dim=64))
    monkeypatch.setattr(suite_module, "plugin_kinds", lambda builtin: ["keyword-test"])


def _run(tmp_path: Path, cost: str) -> tuple[RunResult, Path]:
    data = write_beir(tmp_path / "data", CORPUS, QUERIES, QRELS)
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: cost-toy
embedders:
  - {{id: kw-local, kind: keyword-test}}
  - {{id: kw-api, kind: keyword-test}}
datasets:
  - {{id: toy, path: {data}}}
tiers:
  retrieval: {{metrics: [nDCG@5], top_k: 6}}
{cost}""", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(suite), "--out", str(out), "-q", "--threads", "1"]) == 0
    return RunResult.load(out / "results.json"), out


def test_cost_rows_carry_direction_units_and_inputs(keyword_kind: None, tmp_path: Path) -> None:
    result, _ = _run(tmp_path, COST)
    rows = {(r.embedder, r.metric): r for r in result.metrics if r.tier == "cost"}
    assert all(not r.higher_is_better and r.dataset == "toy" and r.n_queries == 4
               for r in rows.values())
    assert rows[("kw-api", "usd_per_1k_queries")].unit == "USD"
    tokens = sum(estimate_tokens(q["text"]) for q in QUERIES) / 4  # keyword kind: the estimate
    assert rows[("kw-api", "tokens_per_query")].value == pytest.approx(tokens)
    # 6 vectors × 64 dims × 4 B = 1,536 B = 1.536e-6 GB × 2.5 / 1,000 queries × 1,000
    ram = 1536 / 1e9 * 2.5
    api = tokens * 1000 / 1e6 * 50.0
    assert rows[("kw-api", "ram_usd_per_1k_queries")].value == pytest.approx(ram)
    assert rows[("kw-api", "api_usd_per_1k_queries")].value == pytest.approx(api)
    assert rows[("kw-api", "usd_per_1k_queries")].value == pytest.approx(api + ram)
    assert ("kw-api", "cpu_s_per_query") not in rows  # billed per token: not probed
    local = result.details["cost/kw-local/toy"]
    cpu_s = local["cpu"]["cpu_s_per_query"]
    assert local["cpu"]["queries"] == 4 and local["tokens_measured"] is False
    assert rows[("kw-local", "cpu_usd_per_1k_queries")].value == pytest.approx(
        cpu_s * 1000 / 3600 * 0.036)
    assert rows[("kw-local", "api_usd_per_1k_queries")].value == 0.0
    assert local["inputs"]["n_vectors"] == 6 and local["inputs"]["bytes_per_vector"] == 256
    assert result.params["cost"]["cpu_usd_per_hour"] == 0.036
    assert result.details["cost/kw-api/toy"]["note"] == "what if billed like an API"


def test_leaderboard_and_compare_show_cost_beside_quality(keyword_kind: None, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    _, out = _run(tmp_path, COST)
    capsys.readouterr()
    assert main(["compare", str(out / "results.json")]) == 0
    md = capsys.readouterr().out
    assert "### cost · toy · usd_per_1k_queries [USD] (lower is better)" in md
    assert "### retrieval · toy · nDCG@5" in md
    html = (out / "report.html").read_text(encoding="utf-8")
    board = html[html.index('id="leaderboard"'):]
    assert "usd_per_1k_queries [USD] ↓" in board.split("</table>")[0]  # a headline row
    assert "Cost per 1,000 queries" in html and "Pareto frontier" in html
    assert "what if billed like an API" in html


def test_without_a_cost_block_results_are_unchanged(keyword_kind: None, tmp_path: Path) -> None:
    result, out = _run(tmp_path, "")
    assert not [r for r in result.metrics if r.tier == "cost"]
    assert list(result.params) == ["tiers"]
    assert not [k for k in result.details if k.startswith("cost/")]
    raw = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert "cost" not in json.dumps(raw["params"]) and "Cost per 1,000" not in \
        (out / "report.html").read_text(encoding="utf-8")


def test_compare_refuses_cost_rows_priced_differently(keyword_kind: None,
                                                      tmp_path: Path) -> None:
    a, _ = _run(tmp_path / "a", COST)
    b, _ = _run(tmp_path / "b", COST.replace("0.036", "0.5"))
    with pytest.raises(InputError, match=r"cost prices differ .*'cpu_usd_per_hour': 0.5"):
        compare([("a", a), ("b", b)])


def test_run_summary_prints_money_with_three_significant_digits(
        keyword_kind: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result, _ = _run(tmp_path, COST)
    lines = capsys.readouterr().out.splitlines()
    ram = next(ln for ln in lines if "kw-api" in ln and "ram_usd_per_1k_queries" in ln)
    assert ram.split()[-1] == "0.00000384"  # 1,536 B × 2.5 USD/GB-month, not 0.0000
    ndcg = next(r for r in result.metrics if r.metric == "nDCG@5")
    assert any(ln.split()[-1] == f"{ndcg.value:.4f}" and "nDCG@5" in ln for ln in lines)
