"""Labelled utterances for the intent tier: CSV or JSONL rows of text, label, optional split.

CSV (RFC 4180, UTF-8, a BOM is tolerated) has a header naming at least `text` and `label`;
`split` (train | test) and `id` are optional, other columns are ignored. JSONL has one object
per line with the same keys. Every problem is one `InputError` naming `file:line`.

>>> ds = load_intents("finance", Path("fixtures/intent/finance_zh.csv"))  # doctest: +SKIP
>>> ds.labels[:2], ds.has_split                                          # doctest: +SKIP
(['balance_enquiry', 'balance_enquiry'], False)
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embedgate.inputs.beir import check_text_fields, content_hash, iter_jsonl
from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_file
from embedgate.inputs.tabular import csv_rows, infer_format

if TYPE_CHECKING:
    from embedgate.suite import IntentSource, LoadedSuite

SPLITS = ("train", "test")
FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class IntentItem:
    id: str
    text: str
    label: str
    split: str | None
    line: int


@dataclass(frozen=True)
class IntentSet:
    """A loaded intent file; items keep file order and their source line."""

    id: str
    path: Path
    items: tuple[IntentItem, ...]
    sha256: str

    @property
    def texts(self) -> list[str]:
        return [it.text for it in self.items]

    @property
    def labels(self) -> list[str]:
        return [it.label for it in self.items]

    @property
    def label_names(self) -> list[str]:
        """Sorted distinct labels: the class order of confusion matrices and tie-breaks."""
        return sorted(set(self.labels))

    @property
    def has_split(self) -> bool:
        return bool(self.items) and self.items[0].split is not None

    def support(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels).items()))


def load_intents(source_id: str, path: Path, fmt: str | None = None) -> IntentSet:
    """Load and check an intent file: non-empty text and label, a consistent split column."""
    check_file(path, "intent file")
    rows = _csv_rows(path) if infer_format(path, fmt) == "csv" else _jsonl_rows(path)
    items = [_item(path, line, raw) for line, raw in rows]
    if not items:
        raise InputError(f"{path}: no utterances; add rows of text,label")
    _check_ids(path, items)
    _check_split_column(path, items)
    return IntentSet(id=source_id, path=path, items=tuple(items), sha256=content_hash([path]))


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    return csv_rows(path, "intent file", ("text", "label"), "text,label[,split][,id]",
                    "quote texts that contain the delimiter", delimiter)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, obj in iter_jsonl(path, "intent file"):
        if "label" not in obj:
            raise InputError(f'{path}:{line}: no "label" key; each line needs "text" and "label"')
        check_text_fields(obj, ("text",), path, line)
        label = obj["label"]
        if isinstance(label, (bool, float, list, dict)):
            raise InputError(f'{path}:{line}: "label" must be a string (or a whole number), '
                             f"not {json.dumps(label)[:40]}; write the intent name")
        yield line, obj


def _item(path: Path, line: int, raw: dict[str, Any]) -> IntentItem:
    text = str(raw.get("text") or "").strip()
    label = str(raw.get("label") if raw.get("label") is not None else "").strip()
    if not text:
        raise InputError(f"{path}:{line}: empty text; give every row an utterance or remove it")
    if not label:
        raise InputError(f"{path}:{line}: empty label; give every row its intent label")
    split = str(raw.get("split") or "").strip().lower() or None
    if split is not None and split not in SPLITS:
        raise InputError(f'{path}:{line}: split "{split}" is not train or test; '
                         "use train|test or leave the column out for cross-validation")
    item_id = str(raw.get("id") or "").strip() or f"L{line}"
    return IntentItem(id=item_id, text=text, label=label, split=split, line=line)


def _check_ids(path: Path, items: list[IntentItem]) -> None:
    seen: dict[str, int] = {}
    for it in items:
        if it.id in seen:
            raise InputError(f'{path}:{it.line}: duplicate id "{it.id}" (first on line '
                             f"{seen[it.id]}); ids must be unique")
        seen[it.id] = it.line


def _check_split_column(path: Path, items: list[IntentItem]) -> None:
    """Either every row names its split or none does (then the tier cross-validates)."""
    given = [it for it in items if it.split is not None]
    if given and len(given) != len(items):
        missing = next(it for it in items if it.split is None)
        raise InputError(f"{path}:{missing.line}: no split on this row while others have one; "
                         "give every row train|test, or none for cross-validation")
    if given:
        for split in SPLITS:
            if not any(it.split == split for it in items):
                raise InputError(f"{path}: no {split} rows; a split file needs both train and test")


def check_cross_validation(ds: IntentSet, folds: int) -> None:
    """Stratified k-fold needs every label at least `folds` times (each fold tests each label)."""
    support = ds.support()
    for label, count in support.items():
        if count < folds:
            first = next(it for it in ds.items if it.label == label)
            raise InputError(
                f'{ds.path}:{first.line}: label "{label}" has {count} example'
                f"{'s' if count != 1 else ''}; stratified {folds}-fold cross-validation needs at "
                f"least {folds} per label; add examples, lower folds, or remove the label")
    if len(support) < 2:
        raise InputError(f"{ds.path}: only one label ({next(iter(support))}); "
                         "intent classification needs at least two")


def check_split(ds: IntentSet) -> None:
    """Every test label must be learnable from the train split; train needs two labels."""
    train = {it.label for it in ds.items if it.split == "train"}
    for it in ds.items:
        if it.split == "test" and it.label not in train:
            raise InputError(f'{ds.path}:{it.line}: test label "{it.label}" never appears in the '
                             "train split; add train examples of it or drop the row")
    if len(train) < 2:
        raise InputError(f"{ds.path}: the train split has one label; it needs at least two")


@dataclass(frozen=True)
class IntentData:
    """A checked source plus its label codes (index into `names`)."""

    source: IntentSet
    names: list[str]
    codes: np.ndarray


def load_source(src: IntentSource, loaded: LoadedSuite, where_loc: tuple[str | int, ...],
                folds: int | None = None) -> IntentData:
    """Load one source; with `folds`, also check that its protocol (split or k-fold) can run."""
    try:
        ds = load_intents(src.id, loaded.resolve(src.path), src.format)
        if folds is not None and ds.has_split:
            check_split(ds)
        elif folds is not None:
            check_cross_validation(ds, folds)
    except InputError as exc:
        raise InputError(f'{exc} (source "{src.id}" at {loaded.where(where_loc)})') from None
    names = ds.label_names
    index = {n: i for i, n in enumerate(names)}
    return IntentData(source=ds, names=names, codes=np.array([index[lb] for lb in ds.labels]))
