"""Leak detection: which evaluated queries are training queries of a recipe.

A training query leaks into an evaluated one when their normal forms (text.normalise: NFKC,
case-folded, no spaces or punctuation) are equal, or, when both come from the same BEIR
folder, when their ids are equal (ids of unrelated collections, "1", "2", ..., say nothing).
The guard that applies this to a suite's planned tier jobs is `run/leak.py`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from embedgate.algorithms.lexical import normalise


@dataclass(frozen=True)
class Leak:
    eval_qid: str
    train_qid: str
    by: str  # "id" or "text"
    text: str


def find_leaks(train: Mapping[str, str], evaluated: Mapping[str, str],
               same_collection: bool = True) -> list[Leak]:
    """Evaluated queries that are training queries, by id (same collection) or normalised text.

    >>> find_leaks({"t1": "What is ECG?"}, {"q9": "what is  ecg", "t1": "other"})
    [Leak(eval_qid='q9', train_qid='t1', by='text', text='what is  ecg'), \
Leak(eval_qid='t1', train_qid='t1', by='id', text='other')]
    """
    by_text: dict[str, str] = {}
    for qid, text in train.items():
        by_text.setdefault(normalise(text), qid)
    leaks: list[Leak] = []
    for qid, text in sorted(evaluated.items()):
        if same_collection and qid in train:
            leaks.append(Leak(qid, qid, "id", text))
        elif (norm := normalise(text)) and norm in by_text:
            leaks.append(Leak(qid, by_text[norm], "text", text))
    return leaks


def describe(leaks: list[Leak], limit: int = 5) -> str:
    shown = [f'{lk.eval_qid} "{lk.text}" (same {lk.by} as training query {lk.train_qid})'
             if lk.by == "text" else f"{lk.eval_qid} (same id)" for lk in leaks[:limit]]
    more = f", and {len(leaks) - limit} more" if len(leaks) > limit else ""
    return "; ".join(shown) + more
