"""The `tiers.retrieval.chunking:` key: chunking strategies swept by the retrieval tier.

Each strategy splits every document (`split` at `size`, `overlap`), searches the chunks and
ranks documents by an aggregation of their chunks' scores (`aggregate`: max, first or
``{sum_top: k}``). Its rows are labelled ``metric[id]``; `id` defaults to e.g. ``clauses800/max``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from embedgate.suite.base import Spec, require_unique

Split = Literal["chars", "tokens", "sentences", "clauses"]


class SumTop(Spec):
    """Document score = the sum of its k best chunk scores."""

    sum_top: int = Field(ge=1, le=1000)


class ChunkStrategy(Spec):
    """One way to split documents and score them from their chunks."""

    # the row label; None: "<split><size>/<aggregate>"
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+/-]*$", max_length=80)
    split: Split
    size: int = Field(ge=8, le=100_000)  # tokens for split: tokens, else characters
    overlap: int = Field(default=0, ge=0, le=100_000)  # same unit as size
    aggregate: SumTop | Literal["max", "first"] = "max"  # SumTop first: its errors are the useful ones

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkStrategy:
        if self.overlap >= self.size:
            raise ValueError(f"overlap ({self.overlap}) must be below size ({self.size}); "
                             "lower overlap or raise size")
        return self

    @property
    def label(self) -> str:
        if self.id is not None:
            return self.id
        how = self.aggregate if isinstance(self.aggregate, str) \
            else f"sum_top{self.aggregate.sum_top}"
        return f"{self.split}{self.size}/{how}"

    @property
    def how(self) -> tuple[Literal["max", "first", "sum_top"], int]:
        """(aggregation, k): k is sum_top's k, else 1."""
        if isinstance(self.aggregate, SumTop):
            return "sum_top", self.aggregate.sum_top
        return self.aggregate, 1


class ChunkingSpec(Spec):
    """Strategies compared on the same data in one run, each against the unchunked search.

    `clause_qrels`: a TSV in the dataset folder (``query-id corpus-id char-start char-end``,
    offsets into the document as searched: title + " " + text); when the file is there, each
    strategy's clause hit@1 is reported.
    """

    strategies: list[ChunkStrategy] = Field(min_length=1, max_length=32)
    clause_qrels: str = "clause_qrels.tsv"
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    n_resamples: int = Field(default=2000, ge=100, le=1_000_000)

    @field_validator("strategies")
    @classmethod
    def _unique_labels(cls, value: list[ChunkStrategy]) -> list[ChunkStrategy]:
        require_unique([s.label for s in value], "chunking strategy (set id: to tell them apart)")
        return value
