"""Extractive reader: the retrieved sentence (or clause) closest to the question.

It uses the embedder under test itself (no extra model), so it works for Chinese, where no
packaged reader LLM exists, and its accuracy reflects the embedder's sentence-level precision.
Sentences end at 。！？!?；; and newlines, and at "." followed by a space (so "0.9 mg/kg"
stays whole); clauses additionally split at ，,：: .
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embedgate.suite import ExtractiveReaderSpec
from embedgate.tiers.qa.gencache import GenerationCache
from embedgate.tiers.qa.readers.base import EncodeTexts, ReadRequest

_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)(?=\s)")
_CLAUSE = re.compile(r"(?<=[。！？!?；;\n，,：:])|(?<=[.,:;])(?=\s)")


def split_units(text: str, unit: str = "sentence") -> list[str]:
    """Sentences (or clauses) of `text`, stripped, empties dropped.

    >>> split_units("冠脉供血不足。可放射至左肩！Dose is 0.9 mg/kg. Max 90 mg.")
    ['冠脉供血不足。', '可放射至左肩！', 'Dose is 0.9 mg/kg.', 'Max 90 mg.']
    """
    pattern = _CLAUSE if unit == "clause" else _SENTENCE
    return [u.strip() for u in pattern.split(text) if u.strip()]


class ExtractiveReader:
    def __init__(self, spec: ExtractiveReaderSpec, where: str = "", base_dir: Path = Path("."),
                 cache: GenerationCache | None = None) -> None:
        self.spec = spec
        self.id = spec.id
        # The embedder is part of the answer, but it is fixed per result row, so the reader's
        # own identity is only its splitting rule. Nothing to cache: it only encodes.
        self.fingerprint = f"extractive:{spec.unit}"

    def answer(self, requests: Sequence[ReadRequest], encode: EncodeTexts,
               progress: bool = False) -> list[str]:
        """Encode every distinct candidate unit once, then pick each question's closest unit.

        Passages recur across questions (popular documents, gold = retrieved passage), so
        units are deduplicated before encoding.
        """
        units = [[u for p in r.passages for u in split_units(p, self.spec.unit)] for r in requests]
        row = {u: i for i, u in enumerate(dict.fromkeys(u for us in units for u in us))}
        if not row:
            return ["" for _ in requests]
        unit_vecs = encode(list(row), "passage")
        query_vecs = encode([r.question for r in requests], "query")
        answers: list[str] = []
        for i, us in enumerate(units):
            if not us:
                answers.append("")
                continue
            scores = unit_vecs[[row[u] for u in us]] @ query_vecs[i]
            answers.append(us[int(np.argmax(scores))])  # argmax: first of equal scores wins
        return answers
