"""Judging one answer and attributing a wrong one to retrieval or to the reader."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from embedgate.tiers.qa.normalize import best, contains

CORRECT, RETRIEVAL_MISS, READER_ERROR = "correct", "retrieval_miss", "reader_error"


@dataclass(frozen=True)
class Judgement:
    prediction: str
    em: float
    f1: float
    contains: bool
    correct: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(prediction: str, answers: tuple[str, ...], criterion: str) -> Judgement:
    """SQuAD EM / F1 (best over gold answers) and correctness by `criterion` (exact|contains)."""
    em = best("em", prediction, answers)
    has = contains(prediction, answers)
    return Judgement(prediction=prediction, em=em, f1=best("f1", prediction, answers),
                     contains=has, correct=bool(em) if criterion == "exact" else has or bool(em))


def attribute(correct: bool, answer_in_top_k: bool) -> str:
    """Why an answer is wrong: the passages lacked the answer (retrieval) or the reader missed it.

    A right answer is "correct" even when no passage held it (the reader knew it anyway).
    """
    if correct:
        return CORRECT
    return READER_ERROR if answer_in_top_k else RETRIEVAL_MISS
