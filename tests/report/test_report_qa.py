"""The report's QA section on the QA tier's constructed case (tests/qa_helpers.py)."""
from __future__ import annotations

import re
from pathlib import Path

from embedgate.report.render import render

from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.qa import EXPECTED, toy_suite
from tests.helpers.report import keyword_result

QUESTIONS = {"q1": "what is the aspirin dose", "q2": "which drug treats gout flares",
             "q3": "how long is the warfarin course"}


def test_qa_section_blames_retrieval_or_reader(tmp_path: Path) -> None:
    result = keyword_result(toy_suite(tmp_path), [KeywordEmbedder("kw", dim=4096)])
    html = render(result)
    section = html[html.index('id="qa"'):html.index('id="provenance"')]
    counts = {k: list(EXPECTED.values()).count(k) for k in set(EXPECTED.values())}
    assert f"kw · extractive: {counts['correct']} right, {3 - counts['correct']} wrong" in section
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.DOTALL)
    for qid, why in EXPECTED.items():
        row = next(r for r in rows if QUESTIONS[qid] in r)
        label = "" if why == "correct" else why.replace("_", " ")
        assert (f">{label}</td>" in row) if label else ">✓</td>" in row, (qid, row)
    assert "where the answers went right and wrong" in section  # the attribution chart
