"""Provenance and how to reproduce: what ran, on what, with which data, models and versions."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from embedgate.report.tables import Column, Table, num, text
from embedgate.report.sections.common import Inputs


@dataclass(frozen=True)
class ProvenanceView:
    facts: list[tuple[str, str]]
    commands: list[str]
    datasets: Table
    embedders: Table
    packages: Table
    timings: Table
    raw_json: str


def build(inputs: Inputs) -> ProvenanceView:
    r = inputs.result
    prov: dict[str, Any] = r.provenance
    hw = prov.get("hardware", {})
    facts = [("suite", f"{r.suite.name} — {r.suite.file}"), ("suite sha256", r.suite.sha256),
             ("created", str(prov.get("created_at", "?"))), ("git", str(prov.get("git_sha", "?"))),
             ("seed", str(prov.get("seed", "?"))), ("threads", str(prov.get("threads", "?"))),
             ("machine", (f"{hw.get('cpu_model', '?')}, {hw.get('cpu_count', '?')} CPUs, "
                          f"fingerprint {hw.get('fingerprint', '?')}")),
             ("python", f"{prov.get('python', '?')} on {prov.get('platform', '?')}"),
             ("schema", r.schema_version)]
    return ProvenanceView(facts, _commands(inputs), _datasets(r.datasets), _embedders(r.embedders),
                          _packages(prov.get("packages", {})), _timings(r.timings),
                          json.dumps(prov, indent=2, ensure_ascii=False, sort_keys=True))


def _commands(inputs: Inputs) -> list[str]:
    r = inputs.result
    prov = r.provenance
    threads = prov.get("threads")
    cmds = []
    if prov.get("git_sha"):
        cmds.append(f"git checkout {prov['git_sha']}")
    cmds.append(f"embedgate run {r.suite.file}" + (f" --threads {threads}" if threads else ""))
    baseline = f" --baseline {inputs.baseline_label}" if inputs.baseline_label else ""
    cmds.append(f"embedgate report results.json{baseline} --out report.html")
    return cmds


def _datasets(datasets: dict[str, dict[str, Any]]) -> Table:
    cols = [Column("dataset"), Column("split"), Column("docs", True), Column("queries", True),
            Column("without qrels", True), Column("empty", True), Column("sha256"), Column("path")]
    rows = [[text(i), text(d.get("split")), num(d.get("n_docs"), 0),
             num(d.get("n_queries_evaluated"), 0), num(d.get("n_queries_without_qrels"), 0),
             num(d.get("n_queries_empty_text"), 0), text(str(d.get("sha256", ""))[:12],
                                                          title=str(d.get("sha256", ""))),
             text(d.get("path"), cls="path")] for i, d in datasets.items()]
    return Table(cols, rows, key="datasets")


def _embedders(embedders: dict[str, dict[str, Any]]) -> Table:
    cols = [Column("id"), Column("kind"), Column("model"), Column("backend"), Column("precision"),
            Column("dim", True), Column("max len", True), Column("load s", True),
            Column("weights sha256")]
    rows = [[text(i), text(e.get("kind")), text(e.get("name"), limit=40), text(e.get("backend")),
             text(e.get("precision")), num(e.get("dim"), 0), num(e.get("max_seq_length"), 0),
             num(e.get("load_s"), 2), text(str(e.get("weights_sha256", ""))[:12],
                                           title=str(e.get("weights_sha256", "")))]
            for i, e in embedders.items()]
    return Table(cols, rows, key="embedders")


def _packages(packages: dict[str, Any]) -> Table:
    return Table([Column("package"), Column("version")],
                 [[text(k), text(v)] for k, v in sorted(packages.items())], key="packages")


def _timings(timings: dict[str, float]) -> Table:
    return Table([Column("timing"), Column("value", True)],
                 [[text(k), num(v, 2)] for k, v in timings.items()], key="timings")
