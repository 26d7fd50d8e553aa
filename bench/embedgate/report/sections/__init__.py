"""Report sections: one builder per section turns results JSON into a small view model.

A builder returns None when its data is absent (a run without the QA tier has no QA section),
so a report shows exactly what was measured. Order here is the page's order.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from embedgate.report.sections import (
    chunking,
    compression,
    cost,
    drilldown,
    finetune,
    holes,
    history,
    intent,
    intrinsic,
    language_bias,
    leaderboard,
    load,
    other,
    parity,
    perf,
    pipelines,
    power,
    provenance,
    qa,
    retrieval,
    satisfaction,
    space_map,
    vector_stores,
    verdict,
    why,
)
from embedgate.report.sections.common import Inputs, ReportOptions

__all__ = ["Inputs", "ReportOptions", "Section", "build"]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    view: Any

    @property
    def template(self) -> str:
        return f"sections/{self.id}.html.j2"


SECTIONS: tuple[tuple[str, str, Callable[[Inputs], Any]], ...] = (
    ("verdict", "Verdict", verdict.build),
    ("why", "Why the gated figures moved", why.build),
    ("history", "History: the gated figures over the last runs", history.build),
    ("leaderboard", "Bake-off leaderboard", leaderboard.build),
    ("retrieval", "Retrieval", retrieval.build),
    ("holes", "Holes in the qrels: unjudged documents and bounds", holes.build),
    ("chunking", "Chunked retrieval: strategies vs whole documents", chunking.build),
    ("cost", "Cost per 1,000 queries", cost.build),
    ("power", "How many queries are enough", power.build),
    ("pipelines", "Pipelines: stage costs and the weakest link", pipelines.build),
    ("vector_stores", "Vector stores: each setting against exact search", vector_stores.build),
    ("drilldown", "What got worse", drilldown.build),
    ("intrinsic", "Intrinsic: synonyms and translations", intrinsic.build),
    ("language_bias", "Language bias", language_bias.build),
    ("qa", "End-to-end QA", qa.build),
    ("satisfaction", "QA user satisfaction", satisfaction.build),
    ("perf", "Performance", perf.build),
    ("compression", "Compression: bytes, speed and quality", compression.build),
    ("parity", "Serving parity: candidate vs reference vectors", parity.build),
    ("load", "Load: latency under traffic", load.build),
    ("finetune", "Fine-tune recipes", finetune.build),
    ("intent", "Intent recognition", intent.build),
    ("space_map", "Semantic-space map", space_map.build),
    ("other", "Other tiers", other.build),
    ("provenance", "Provenance and how to reproduce", provenance.build),
)


def build(inputs: Inputs) -> list[Section]:
    """Every section whose data is present, in page order."""
    return [Section(sid, title, view) for sid, title, make in SECTIONS
            if (view := make(inputs)) is not None]
