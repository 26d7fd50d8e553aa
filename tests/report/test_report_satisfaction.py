"""The report's QA user-satisfaction section, on a real QA run with ratings (keyword embedder).

The toy QA case (tests/helpers/qa.py) runs with the extractive reader; the ratings rate it on
q1-q3, and also rate a reader the suite does not run (`ratings_other_readers: unused`), so the
table shows rated systems and unused ratings. A rater's name carries markup: it must be text.
"""
from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

from embedgate.report.render import render
from embedgate.results.schema import RunResult

from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.qa import toy_suite
from tests.helpers.report import XSS, keyword_result

RATINGS = f"""question_id,system,rating,rater
q1,kw/extractive,10,ann
q1,kw/extractive,9,"{XSS}"
q2,kw/extractive,2,ann
q2,kw/extractive,4,"{XSS}"
q3,kw/extractive,7,ann
q3,kw/extractive,6,"{XSS}"
q1,kw/llm-not-run,8,ann
q2,kw/llm-not-run,5,ann
"""


def _result(tmp_path: Path) -> RunResult:
    suite = toy_suite(tmp_path)
    (tmp_path / "ratings.csv").write_text(RATINGS, encoding="utf-8")
    suite.write_text(suite.read_text(encoding="utf-8") + "    ratings: ratings.csv\n"
                     "    ratings_other_readers: unused\n", encoding="utf-8")
    return keyword_result(suite, [KeywordEmbedder("kw", dim=4096)])


def _cells(section: str) -> dict[str, list[str]]:
    """system -> the text of each cell of its row (tags stripped, entities decoded)."""
    body = section[section.index("<tbody>"):section.index("</tbody>")]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL):
        cells = [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)]
        out[cells[0]] = cells
    return out


def test_cells_equal_the_results_rows_and_details(tmp_path: Path) -> None:
    result = _result(tmp_path)
    page = render(result)
    section = page[page.index('id="satisfaction"'):page.index('id="provenance"')]
    rows = {r.metric: r.value for r in result.metrics if r.tier == "qa"}
    sat = result.details["qa/kw/toy"]["satisfaction"]
    got = _cells(section)
    low, high = sat["systems"]["kw/extractive"]["nps_ci"]
    system, source, n, unused, raters, nps, ci, mean, alpha, *_ = got["kw/extractive"]
    assert (system, source, n, unused, raters) == ("kw/extractive", "toy", "6", "0", "2")
    assert nps == f"{rows['extractive:NPS']:.1f}" and ci == f"[{low:.1f}, {high:.1f}]"
    assert low <= rows["extractive:NPS"] <= high
    assert mean == f"{rows['extractive:rating']:.2f}"
    assert alpha == f"{rows['extractive:rater_alpha']:.3f}"
    assert got["kw/extractive"][10] == f"{rows['extractive:rating_rho_F1']:.2f} n=3"
    # the unrun reader: nothing measured, its 2 ratings counted as unused
    assert sat["ratings_unused"] == {"kw/llm-not-run": 2}
    assert got["kw/llm-not-run"][2:5] == ["0", "2", "–"]


def test_hostile_rater_names_are_text(tmp_path: Path) -> None:
    page = render(_result(tmp_path))
    section = page[page.index('id="satisfaction"'):page.index('id="provenance"')]
    assert XSS not in page and "&lt;script&gt;" in section
    titles = [htmllib.unescape(t) for t in re.findall(r'title="([^"]*)"', section)]
    assert f"{XSS}, ann" in titles  # the raters cell's hover title, sorted names
