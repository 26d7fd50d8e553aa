"""GitHub Actions outputs from a results file: the step summary, a sticky PR comment and
workflow annotations (`::error` for regressed gates, `::warning` for inconclusive ones).

The comment starts with MARKER so a workflow can find and update its one comment. Everything
is Markdown or workflow-command text built from results JSON only; `%`, CR and LF in
annotation messages are escaped as GitHub's workflow commands require.
"""
from __future__ import annotations

from embedgate.results.schema import RunResult

MARKER = "<!-- embedgate-comment -->"
_ICON = {"pass": "✅", "regressed": "❌", "inconclusive": "⚠️"}


def summary_markdown(result: RunResult, why: list[str], report: str) -> str:
    """Verdict, one table row per gate, what moved and why, where the report is."""
    verdict = result.verdict
    status = verdict.status if verdict else "pass"
    out = [f"## embedgate: {result.suite.name} — {_ICON[status]} {status}", ""]
    if verdict and verdict.gates:
        out += ["| gate | figure | status | value | threshold | interval |",
                "|---|---|---|---|---|---|"]
        for g in verdict.gates:
            value = f"{g.value:.4g}" if g.value is not None else "–"
            ci = f"[{g.ci[0]:+.4g}, {g.ci[1]:+.4g}]" if g.ci else "–"
            out.append(f"| {_cell(g.name)} | {_cell(f'{g.embedder} / {g.dataset} / {g.metric}')}"
                       f" | {_ICON[g.status]} {g.status} | {value} | {_cell(g.threshold)} | {ci} |")
        out.append("")
    if why:
        out += ["### What moved and why", "", "```", *why, "```", ""]
    out.append(f"Report: `{report}`")
    return "\n".join(out) + "\n"


def comment_markdown(result: RunResult, why: list[str], report: str) -> str:
    """The PR comment: the summary under the stable marker."""
    return f"{MARKER}\n{summary_markdown(result, why, report)}"


def annotations(result: RunResult) -> list[str]:
    """`::error` / `::warning` lines for regressed / inconclusive gates (file: the suite)."""
    if result.verdict is None:
        return []
    out = []
    for g in result.verdict.gates:
        if g.status == "pass":
            continue
        level = "error" if g.status == "regressed" else "warning"
        title = _escape(f"embedgate gate {g.name}: {g.status}", prop=True)
        out.append(f"::{level} file={_escape(result.suite.file, prop=True)},title={title}::"
                   f"{_escape(g.message())}")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text
