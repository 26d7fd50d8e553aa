"""Language bias: per collection and embedder, one row per query language — quality per target
language (the language of the relevant documents), where the top-k comes from against the corpus
and the qrels, and the same-language preference (top-k share minus corpus share)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from embedgate.report.sections.common import Inputs, tier_details
from embedgate.report.tables import Cell, Column, Table, num, pct, signed, text


@dataclass(frozen=True)
class LanguageBiasView:
    intro: str
    tables: list[tuple[str, Table]]


def build(inputs: Inputs) -> LanguageBiasView | None:
    tables = [(f"{item.embedder} · {item.dataset}", _table(item.embedder, item.dataset, item.data))
              for item in tier_details(inputs.result, "language_bias")]
    return LanguageBiasView(_INTRO, tables) if tables else None


_INTRO = ("Rows: query language. Quality: the metric over all queries of that language and over "
          "those whose relevant documents are in each language (off the diagonal: "
          "cross-lingual). Top-k share: of the retrieved documents, the share in each language "
          "(under it: that language's share of the corpus / of the relevant documents). Same-"
          "language preference: top-k share of the query's own language minus its corpus share; "
          "a preference larger than the relevant documents call for is bias.")


def _table(eid: str, did: str, d: dict[str, Any]) -> Table:
    langs, metric, k = d["langs"], d["metric"], d["top_k"]
    cols = [Column("query lang"), Column("queries", True), Column(metric, True),
            *(Column(f"{metric} → {t}", True) for t in langs),
            *(Column(f"top-{k} in {t}", True) for t in langs),
            Column("same-language preference", True)]
    rows = [_row(ql, d, langs) for ql in d["topk_share"]]
    return Table(cols, rows, key=f"language-bias-{eid}-{did}")


def _row(ql: str, d: dict[str, Any], langs: list[str]) -> list[Cell]:
    quality, n = d["quality"].get(ql, {}), d["quality_n"].get(ql, {})
    cells = [text(ql), num(n.get("all"), 0), num(quality.get("all"))]
    for t in langs:
        cell = num(quality.get(t))
        cells.append(Cell(cell.text, cell.sort, cell.cls, sub=f"n={n.get(t, 0)}"))
    for t in langs:
        cell = pct(d["topk_share"][ql].get(t))
        rel = d["relevant_share"].get(ql, {}).get(t, 0.0)
        cells.append(Cell(cell.text, cell.sort, cell.cls,
                          sub=f"corpus {d['corpus_share'].get(t, 0):.0%} / rel {rel:.0%}"))
    cells.append(signed(d["same_lang_pref"].get(ql), 3, higher_is_better=False))
    return cells
