"""Human ratings of QA answers: CSV or JSONL rows of question_id, system, rating (0-10), rater.

A system is "<embedder>/<reader>" (the embedder that retrieved, the reader that answered), so a
rating names exactly one answer the QA tier produced. CSV (UTF-8, header first) and JSONL (one
object per line) carry the same keys; other columns are ignored. Every problem is one
`InputError` naming `file:line`: a missing column, a rating that is not a number or lies outside
0-10, an unknown question id or system (with "did you mean"), an empty rater, and a duplicate
(question, system, rater).
"""
from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InputError, did_you_mean
from embedgate.infra.textio import check_file
from embedgate.inputs.beir import content_hash, iter_jsonl
from embedgate.inputs.tabular import csv_rows, infer_format

COLUMNS = ("question_id", "system", "rating", "rater")
LOW, HIGH = 0.0, 10.0


@dataclass(frozen=True)
class Rating:
    question: str
    system: str
    rater: str
    rating: float
    line: int


@dataclass(frozen=True)
class RatingSet:
    path: Path
    sha256: str
    ratings: tuple[Rating, ...]

    def for_system(self, system: str) -> list[Rating]:
        return [r for r in self.ratings if r.system == system]


def load_ratings(path: Path, questions: Collection[str], systems: Sequence[str],
                 fmt: str | None = None, embedders: Collection[str] = ()) -> RatingSet:
    """Load and check a ratings file against the question ids and systems of the run.

    A system of one of `embedders` with a reader outside `systems` is kept (the caller counts
    it as unused) instead of failing: one ratings file can serve suites that run fewer readers.
    """
    check_file(path, "ratings file")
    rows = _csv_rows(path) if infer_format(path, fmt) == "csv" else _jsonl_rows(path)
    seen: dict[tuple[str, str, str], int] = {}
    out: list[Rating] = []
    for line, raw in rows:
        rating = _rating(path, line, raw, questions, systems, embedders)
        key = (rating.question, rating.system, rating.rater)
        if key in seen:
            raise InputError(f'{path}:{line}: rater "{rating.rater}" rates question '
                             f'"{rating.question}" of system "{rating.system}" twice (first at '
                             f"line {seen[key]}); keep one rating per question, system and rater")
        seen[key] = line
        out.append(rating)
    if not out:
        raise InputError(f"{path}: no ratings; add rows of {','.join(COLUMNS)}")
    return RatingSet(path=path, sha256=content_hash([path]), ratings=tuple(out))


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    return csv_rows(path, "ratings file", COLUMNS, ",".join(COLUMNS),
                    "one value per column, quote ids with commas")


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, obj in iter_jsonl(path, "ratings file"):
        missing = [c for c in COLUMNS if c not in obj]
        if missing:
            raise InputError(f'{path}:{line}: no "{missing[0]}" key; each line needs '
                             f"{', '.join(COLUMNS)}")
        yield line, obj


def _rating(path: Path, line: int, raw: dict[str, Any], questions: Collection[str],
            systems: Sequence[str], embedders: Collection[str]) -> Rating:
    question, system, rater = (str(raw[c]).strip() for c in ("question_id", "system", "rater"))
    if question not in questions:
        raise InputError(f'{path}:{line}: unknown question id "{question}"'
                         f"{did_you_mean(question, list(questions))}; use an id of the QA "
                         "tier's sources")
    if system not in systems and not _other_reader(system, embedders):
        raise InputError(f'{path}:{line}: unknown system "{system}"{did_you_mean(system, systems)}'
                         f"; systems are <embedder>/<reader>: {', '.join(systems)}")
    if not rater:
        raise InputError(f"{path}:{line}: empty rater; name who gave the rating")
    return Rating(question, system, rater, _score(path, line, raw["rating"]), line)


def _other_reader(system: str, embedders: Collection[str]) -> bool:
    embedder, slash, reader = system.partition("/")
    return bool(slash and reader.strip()) and embedder in embedders


def _score(path: Path, line: int, value: Any) -> float:
    """A finite number from 0 to 10 (JSON numbers or CSV text; booleans are not numbers)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        score = float(str(value).strip())
    except ValueError:
        raise InputError(f'{path}:{line}: rating "{str(value)[:40]}" is not a number; write a '
                         "number from 0 to 10") from None
    if not math.isfinite(score) or not LOW <= score <= HIGH:
        raise InputError(f"{path}:{line}: rating {str(value).strip()[:40]} is out of range; "
                         "ratings lie from 0 to 10")
    return score
