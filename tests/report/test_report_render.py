"""The HTML report: escaping of untrusted text, sections that follow the data, the drill-down,
the baseline comparison, and the CLI. Results come from real tier code run with keyword
embedders (tests/report_helpers.py), so they have exactly the shape runs write."""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from embedgate.cli.entry import main
from embedgate.report.render import render, render_file
from embedgate.results.schema import RunResult
from embedgate.results.verdict import GateOutcome, Verdict

from tests.helpers.report import IMG, XSS, keyword_result, toy_embedders, write_toy_suite


class _Scripts(HTMLParser):
    """Collects every <script> element (attributes and text) and every section id."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.sections: list[str] = []
        self.meta_csp = ""
        self._in: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._in = a
            self.scripts.append((a, ""))
        elif tag == "section" and a.get("id"):
            self.sections.append(str(a["id"]))
        elif tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.meta_csp = str(a.get("content"))

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in = None


def _parse(html: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return keyword_result(write_toy_suite(tmp_path_factory.mktemp("toy")), toy_embedders())


def _hostile_verdict(result: RunResult) -> RunResult:
    gate = GateOutcome(name="floor", embedder="kw-good", tier="retrieval", dataset="toy",
                       metric="nDCG@5", kind="absolute", status="regressed", value=0.1,
                       threshold=">= 0.5", reason=f"</script>{XSS} fell")
    return result.model_copy(update={"verdict": Verdict.of([gate])})


def test_untrusted_text_is_shown_as_text_never_run(toy: RunResult) -> None:
    html = render(_hostile_verdict(toy))
    page = _parse(html)
    # Exactly our two scripts: the JSON digest (not executable) and the sorter.
    assert [a.get("type") for a, _ in page.scripts] == ["application/json", None]
    assert "<" not in page.scripts[0][1] and "alert" not in page.scripts[1][1]
    # Passages, queries, utterances, pair texts and the suite description appear escaped.
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html and IMG not in html
    assert XSS not in html
    # The JSON block survives the hostile gate reason and decodes back to it.
    digest = json.loads(page.scripts[0][1])
    assert digest["verdict"] == "regressed" and XSS in digest["gates"][0]["message"]
    # The Content-Security-Policy allows exactly the one inline script, by hash.
    script = page.scripts[1][1]
    want = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{want}'" in page.meta_csp and "default-src 'none'" in page.meta_csp
    assert "<h2>Verdict: regressed</h2>" in html and "floor" in html


def test_self_contained_nothing_fetched(toy: RunResult) -> None:
    html = render(toy)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_sections_follow_the_data(toy: RunResult, tmp_path: Path) -> None:
    assert _parse(render(toy)).sections == [
        "leaderboard", "retrieval", "holes", "power", "drilldown", "intrinsic", "intent", "space_map",
        "provenance"]
    only = keyword_result(write_toy_suite(tmp_path, "  retrieval: {metrics: [RR@5], top_k: 6}\n"),
                          toy_embedders()[:1])
    html = render(only)
    assert _parse(html).sections == ["retrieval", "holes", "provenance"]
    assert "Verdict" not in html and "no gates" in html


def _drill_rows(html: str) -> list[str]:
    return re.findall(r'<details class="query"[^>]*>\s*<summary><span class="docid">([^<]+)<', html)


def test_drilldown_lists_what_got_worse_with_ranks(toy: RunResult) -> None:
    """kw-flat scores every passage the same; ties go by doc id descending (as trec_eval does),
    so it ranks d6..d1: q1's d1 drops from 1 to 6, q2's d3 to 4, q3's d5 to 2; q4 is unchanged."""
    good = toy.values("kw-good", "retrieval", "toy", "nDCG@5")
    flat = toy.values("kw-flat", "retrieval", "toy", "nDCG@5")
    assert good is not None and flat is not None
    assert flat == pytest.approx({"q1": 0.0, "q2": 1 / math.log2(5), "q3": 1 / math.log2(3),
                                  "q4": 1.0})
    html = render(toy)
    assert _drill_rows(html) == ["q1", "q2", "q3"]  # worst first
    assert "<b>3</b> worse" in html and "<b>1</b> unchanged" in html
    section = html[html.index('id="drilldown"'):html.index('id="intrinsic"')]
    for qid, doc, rank in (("q1", "d1", "6"), ("q2", "d3", "4"), ("q3", "d5", "2")):
        block = section[section.index(f'<span class="docid">{qid}<'):]
        block = block[:block.index("</details>")]
        assert re.search(rf'<b>1</b> <span class="arrow">→</span> <b class="bad">{rank}</b></span> '
                         rf'<span class="docid">{doc}</span>', block), qid
    q1 = section[section.index('<span class="docid">q1<'):]
    assert "apple banana &lt;script&gt;" in q1[:q1.index("</summary>")]  # its text, escaped
    assert '<span class="docid">q4<' not in section


def test_baseline_comparison_and_default_baseline(toy: RunResult, tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    toy.save(base)
    html = render(toy, toy, str(base))
    assert "Against the baseline" in html and html.count(">identical<") == 4  # 2 embedders x 2
    assert "kw-good vs baseline kw-good" in html and "No query got worse." in html
    # `embedgate run` renders with the baseline its gates used (verdict.baseline) by default.
    current = tmp_path / "results.json"
    toy.model_copy(update={"verdict": Verdict.of([], baseline=str(base))}).save(current)
    out = render_file(current, tmp_path / "report.html")
    assert "Against the baseline" in out.read_text(encoding="utf-8")


def test_retrieval_interval_is_the_seeded_bootstrap(toy: RunResult) -> None:
    from embedgate.algorithms.stats import bootstrap_ci

    values = toy.values("kw-flat", "retrieval", "toy", "nDCG@5")
    assert values is not None
    lo, hi = bootstrap_ci(values, {q: 0.0 for q in values}, 0.95, 10_000, seed=7)
    html = render(toy)
    assert f'<span class="sub">[{lo:.3f}, {hi:.3f}]</span>' in html
    assert lo < sum(values.values()) / len(values) < hi


def test_cli_report_with_baseline_and_out(toy: RunResult, tmp_path: Path, capsys) -> None:
    src, base, out = tmp_path / "results.json", tmp_path / "base.json", tmp_path / "r" / "x.html"
    toy.save(src)
    toy.save(base)
    assert main(["report", str(src), "--baseline", str(base), "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out and "Against the baseline" in out.read_text()
    assert main(["report", str(src), "--baseline", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.json" in err[0] and "not found" in err[0]


def test_leaderboard_marks_follow_the_holm_adjusted_p_values() -> None:
    from embedgate.judge.compare import Board, Comparison, Entry
    from embedgate.report.sections.leaderboard import TIED, WINNER, WORSE, _matrix

    def board(p_b: float, p_c: float, winner: str | None) -> Board:
        return Board(tier="retrieval", dataset="d", metric="nDCG@10", higher_is_better=True,
                     entries=[Entry(rank=1, system="a", value=0.7, n_queries=50),
                              Entry(rank=2, system="b", value=0.6, n_queries=50,
                                    diff_to_best=-0.1, p_vs_best=p_b),
                              Entry(rank=3, system="c", value=0.5, n_queries=50,
                                    diff_to_best=-0.2, p_vs_best=p_c)],
                     comparisons=[Comparison(a="a", b="b", diff=0.1, p_value=p_b, p_holm=p_b,
                                             significant=p_b < 0.05)],
                     winner=winner, conclusion="…")

    table = _matrix([board(0.01, 0.001, "a"), board(0.2, 0.001, None)], ["a", "b", "c"], 0.05, "k")
    marks = [[c.text.split()[-1] for c in row[3:6]] for row in table.rows]
    assert marks == [[WINNER, WORSE, WORSE], [TIED, TIED, WORSE]]
    assert table.rows[0][6].text == f"{WINNER} a" and table.rows[1][6].text == "no winner"
