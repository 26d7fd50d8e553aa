"""Pair sets for the intrinsic tier: anchors with labelled candidates, from TSV or lexicons.

A pair set is a list of groups; a group is one anchor with its candidates, each labelled
`synonym` / `translation` (positives) or `related` (hard negative) / `unrelated` (random
negative), plus the group's domain and language pair. The TSV format is documented in
fixtures/pairs/README.md; Cilin and CC-CEDICT groups are built in `lexicons.py`.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from embedgate.infra import textio
from embedgate.infra.errors import InputError, did_you_mean

POSITIVE_LABELS = ("synonym", "translation")
NEGATIVE_LABELS = ("related", "unrelated")
LABELS = POSITIVE_LABELS + NEGATIVE_LABELS
COLUMNS = ("group", "anchor", "candidate", "label", "domain", "language")
# Domain and language become part of metric names ("auc[medical/zh]"), so keep them plain.
_TAG = re.compile(r"^[A-Za-z0-9_.+-]+$")

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    text: str
    label: str

    @property
    def positive(self) -> bool:
        return self.label in POSITIVE_LABELS


@dataclass(frozen=True)
class PairGroup:
    """One anchor and its labelled candidates; `line` is where it starts in its file, if any."""

    id: str
    anchor: str
    domain: str
    language: str
    candidates: tuple[Candidate, ...]
    line: int | None = None

    @property
    def slice(self) -> str:
        """The breakdown key: "domain/language", e.g. "medical/zh"."""
        return f"{self.domain}/{self.language}"


@dataclass(frozen=True)
class PairSet:
    """A loaded, validated pair set; `source` is its provenance for results details."""

    id: str
    groups: tuple[PairGroup, ...]
    source: dict[str, Any] = field(default_factory=dict)

    def texts(self) -> list[str]:
        """Every distinct anchor and candidate text, in first-seen order (encoded once)."""
        seen: dict[str, None] = {}
        for g in self.groups:
            seen.setdefault(g.anchor)
            for c in g.candidates:
                seen.setdefault(c.text)
        return list(seen)

    @property
    def n_pairs(self) -> int:
        return sum(len(g.candidates) for g in self.groups)


def sample_items(items: Sequence[T], n: int | None, rng: np.random.Generator) -> list[T]:
    """`n` items drawn without replacement, kept in their original order; all when n is None
    or not smaller than the number of items."""
    if n is None or n >= len(items):
        return list(items)
    picked = np.sort(rng.choice(len(items), size=n, replace=False))
    return [items[int(i)] for i in picked]


def read_lines(path: Path, data: bytes | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line of a UTF-8 file; bad bytes name their file:line."""
    return textio.read_lines(path, "pair file", data)


def load_tsv(path: Path) -> list[PairGroup]:
    """Read a pair TSV (header with the six COLUMNS, any order, extra columns ignored)."""
    lines = ((n, t) for n, t in read_lines(path) if t.strip())
    first = next(lines, None)
    if first is None:
        raise InputError(f"{path}: the pair file is empty; it needs a header line "
                         f"({', '.join(COLUMNS)}, tab-separated) and at least one pair")
    header = _header(path, *first)
    groups: dict[str, _GroupRows] = {}
    for lineno, text in lines:
        row = _row(path, lineno, text, header)
        rows = groups.setdefault(row["group"], _GroupRows(row, lineno))
        rows.add(path, lineno, row)
    if not groups:
        raise InputError(f"{path}: no pairs below the header; add one row per anchor/candidate pair")
    return [rows.build(path) for rows in groups.values()]


def _header(path: Path, lineno: int, text: str) -> list[str]:
    header = [h.strip() for h in text.split("\t")]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        hint = did_you_mean(missing[0], header)
        raise InputError(f"{path}:{lineno}: missing column \"{missing[0]}\"{hint}; the header "
                         f"must name {', '.join(COLUMNS)} (tab-separated)")
    return header


def _row(path: Path, lineno: int, text: str, header: list[str]) -> dict[str, str]:
    fields = text.split("\t")
    if len(fields) != len(header):
        raise InputError(f"{path}:{lineno}: {len(fields)} tab-separated fields, the header has "
                         f"{len(header)}; separate the columns with single tabs")
    row = {h: f.strip() for h, f in zip(header, fields)}
    for col in COLUMNS:
        if not row[col]:
            raise InputError(f'{path}:{lineno}: empty "{col}"; every pair needs all of '
                             f"{', '.join(COLUMNS)}")
    if row["label"] not in LABELS:
        raise InputError(f'{path}:{lineno}: label "{row["label"]}" is not one of '
                         f'{", ".join(LABELS)}{did_you_mean(row["label"], LABELS)}')
    for col in ("domain", "language"):
        if not _TAG.match(row[col]):
            raise InputError(f'{path}:{lineno}: {col} "{row[col]}" may hold only letters, digits '
                             "and _ . + -; e.g. medical, zh-en")
    return row


class _GroupRows:
    """Rows of one group while reading; checks that they agree and that candidates are unique."""

    def __init__(self, row: dict[str, str], lineno: int) -> None:
        self.row, self.line = row, lineno
        self.candidates: dict[str, Candidate] = {}

    def add(self, path: Path, lineno: int, row: dict[str, str]) -> None:
        for col in ("anchor", "domain", "language"):
            if row[col] != self.row[col]:
                raise InputError(f'{path}:{lineno}: group "{row["group"]}" has {col} "{row[col]}" '
                                 f'here but "{self.row[col]}" on line {self.line}; one group is '
                                 "one anchor in one domain and language")
        if row["candidate"] == row["anchor"]:
            raise InputError(f"{path}:{lineno}: the candidate equals the anchor; drop the row")
        if row["candidate"] in self.candidates:
            raise InputError(f'{path}:{lineno}: candidate "{row["candidate"]}" appears twice in '
                             f'group "{row["group"]}"; keep one row')
        self.candidates[row["candidate"]] = Candidate(row["candidate"], row["label"])

    def build(self, path: Path) -> PairGroup:
        group = PairGroup(id=self.row["group"], anchor=self.row["anchor"],
                          domain=self.row["domain"], language=self.row["language"],
                          candidates=tuple(self.candidates.values()), line=self.line)
        check_group(group, f"{path}:{self.line}")
        return group


def check_group(group: PairGroup, where: str) -> None:
    """A group is scorable only with at least one positive and one negative."""
    if not any(c.positive for c in group.candidates):
        raise InputError(f'{where}: group "{group.id}" has no positive ({" or ".join(POSITIVE_LABELS)})'
                         "; add one or drop the group")
    if all(c.positive for c in group.candidates):
        raise InputError(f'{where}: group "{group.id}" has no negative ({" or ".join(NEGATIVE_LABELS)})'
                         "; add one so the positive has something to beat")
