"""Why the gated figures moved: `embedgate explain`'s section, shown when a gate did not pass
or a gated figure moved beyond its interval (judge/explain.py; fingerprints of both runs)."""
from __future__ import annotations

from dataclasses import dataclass

from embedgate.judge.explain import gate_section
from embedgate.report.sections.common import Inputs

INTRO = ("A gate did not pass or a gated figure moved beyond its interval. The two results "
         "files' fingerprints say what differs: the data, the model's weights, or (same weights) "
         "the vectors and the settings or libraries that shape them.")


@dataclass(frozen=True)
class WhyView:
    intro: str
    lines: list[str]


def build(inputs: Inputs) -> WhyView | None:
    lines = gate_section(inputs.result, inputs.baseline)
    return WhyView(INTRO, lines[1:]) if lines else None
