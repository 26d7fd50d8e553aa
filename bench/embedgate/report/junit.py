"""JUnit XML for CI dashboards: gate verdicts (one test case per gate) and compare boards.

Built with ElementTree so names and messages are escaped, never pasted into markup.
Inconclusive gates are failures of type "inconclusive": a CI run must not turn green on them.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from embedgate.judge.compare import CompareReport
from embedgate.report.markdown import board_markdown
from embedgate.results.verdict import Verdict


@dataclass(frozen=True)
class Case:
    name: str
    classname: str
    failure: str | None = None  # failure type, e.g. "regressed"
    message: str = ""
    text: str = ""
    properties: tuple[tuple[str, str], ...] = ()


def to_xml(suite_name: str, cases: list[Case]) -> str:
    suite = ET.Element("testsuite", name=suite_name, tests=str(len(cases)),
                       failures=str(sum(c.failure is not None for c in cases)), errors="0",
                       skipped="0")
    for case in cases:
        node = ET.SubElement(suite, "testcase", name=case.name, classname=case.classname)
        if case.properties:
            props = ET.SubElement(node, "properties")
            for key, value in case.properties:
                ET.SubElement(props, "property", name=key, value=value)
        if case.failure is not None:
            fail = ET.SubElement(node, "failure", type=case.failure, message=case.message)
            fail.text = case.text or case.message
        elif case.text:
            ET.SubElement(node, "system-out").text = case.text
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def verdict_xml(verdict: Verdict, suite_name: str) -> str:
    cases = [Case(name=g.name, classname=f"embedgate.gate.{suite_name}",
                  failure=None if g.status == "pass" else g.status, message=g.message(),
                  properties=(("metric", g.metric), ("value", _num(g.value)),
                              ("threshold", g.threshold), ("baseline", _num(g.baseline))))
             for g in verdict.gates]
    return to_xml(f"embedgate gates: {suite_name}", cases)


def compare_xml(report: CompareReport) -> str:
    """One passing case per board; the leaderboard goes to system-out, the winner to a property."""
    cases = [Case(name=f"{b.tier}/{b.dataset}/{b.metric}", classname="embedgate.compare",
                  text=board_markdown(b),
                  properties=(("winner", b.winner or "none"), ("conclusion", b.conclusion)))
             for b in report.boards]
    return to_xml("embedgate compare", cases)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
