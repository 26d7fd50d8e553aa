"""The `tiers.qa:` key: QA sources, the reader specs (extractive, llm, openai) and QATier."""
from __future__ import annotations

import string
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from embedgate.infra.errors import unknown
from embedgate.suite.base import Ident, Spec, TierSpec, require_known, require_unique
from embedgate.suite.http import HttpEndpointSpec


class QASource(Spec):
    """A QA source: SQuAD JSON (contexts become the corpus) or a BEIR corpus + answers JSONL."""

    id: str = Ident
    format: Literal["squad", "beir-answers"]
    path: Path  # squad: the JSON file; beir-answers: the BEIR folder holding corpus.jsonl
    answers: Path | None = None  # beir-answers: JSONL {id, question, answers, doc_id[, lang]}
    langs: list[str] | None = None  # keep questions in these languages (items' lang, else detected)
    max_questions: int | None = Field(default=None, gt=0, le=10_000_000)  # seeded sample

    @model_validator(mode="after")
    def _answers_file(self) -> QASource:
        if (self.format == "beir-answers") != (self.answers is not None):
            raise ValueError("beir-answers needs an answers file and squad takes none (its "
                             "answers are in the JSON); add or remove answers: <file.jsonl>")
        return self


# The one-shot example lifted SmolLM2-135M from 3 to 5 of 12 English fixture answers.
QA_SYSTEM = ("You answer questions from the given context with a short phrase copied from it, "
             "never a full sentence. Example:\nContext: [1] The meeting lasts two hours and "
             "starts at noon.\nQuestion: How long is the meeting?\nAnswer: two hours")
QA_PROMPT = "Context:\n{context}\n\nQuestion: {question}\nAnswer:"


class _ReaderSpec(Spec):
    """Common to readers: which sources and questions they answer, and what counts as correct."""

    id: str = Ident
    sources: list[str] | None = None  # default: every source of the tier
    langs: list[str] | None = None
    max_questions: int | None = Field(default=None, gt=0, le=10_000_000)  # per source, seeded
    passages: int | None = Field(default=None, gt=0, le=100)  # read only the best n of the top_k
    # contains: a gold answer occurs in the prediction (normalised); exact: SQuAD EM.
    correct: Literal["contains", "exact"] = "contains"

    @model_validator(mode="before")
    @classmethod
    def _id_from_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data and isinstance(data.get("type"), str):
            return {**data, "id": data["type"]}
        return data


class _GenerativeReaderSpec(_ReaderSpec):
    system: str = QA_SYSTEM
    prompt: str = QA_PROMPT  # placeholders: {context} (numbered passages) and {question}
    max_context_chars: int = Field(default=3000, gt=0, le=1_000_000)
    cache: bool = True  # generations cached on disk by (reader, prompt, passages)

    @field_validator("prompt")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        if names != {"context", "question"}:
            raise ValueError("prompt must use exactly the placeholders {context} and {question}"
                             f" (found: {', '.join(sorted(names)) or 'none'}); "
                             "write {{ }} for literal braces")
        return value


class ExtractiveReaderSpec(_ReaderSpec):
    """Answers with the retrieved sentence (or clause) closest to the question, by the embedder."""

    type: Literal["extractive"]
    unit: Literal["sentence", "clause"] = "sentence"


class LlmReaderSpec(_GenerativeReaderSpec):
    """A local causal LM (GGUF through transformers), greedy decoding."""

    type: Literal["llm"]
    model: str = "packaged:SmolLM2-135M-Instruct"
    gguf_file: str | None = None  # None: the only *.gguf file in the model directory
    max_new_tokens: int = Field(default=24, gt=0, le=2048)


class OpenAIReaderSpec(_GenerativeReaderSpec, HttpEndpointSpec):
    """A chat-completions endpoint; the key is read from the environment variable named here."""

    type: Literal["openai-compatible"]
    max_tokens: int = Field(default=64, gt=0, le=32768)
    max_retries: int = Field(default=3, ge=0, le=20)
    max_call_s: float = Field(default=300.0, gt=0, le=86400)


READER_TYPES = ("extractive", "llm", "openai-compatible")


def _known_reader_type(value: Any) -> Any:
    """An unknown reader type gets the list of known ones (pydantic's union message is opaque)."""
    kind = value.get("type") if isinstance(value, dict) else None
    if isinstance(value, dict) and kind not in READER_TYPES:
        raise ValueError(unknown("reader type", str(kind), READER_TYPES, "available"))
    return value


ReaderSpec = Annotated[ExtractiveReaderSpec | LlmReaderSpec | OpenAIReaderSpec,
                       Field(discriminator="type"), BeforeValidator(_known_reader_type)]


class QATier(TierSpec):
    """Retrieve top-k passages, let each reader answer; EM/F1, answer-in-top-k, attribution."""

    sources: list[QASource] = Field(min_length=1)
    top_k: int = Field(default=5, gt=0, le=100)
    chunk_size: int = Field(default=300, ge=32, le=100_000)  # characters
    chunk_overlap: int = Field(default=60, ge=0, le=100_000)
    readers: list[ReaderSpec] = Field(
        default_factory=lambda: [ExtractiveReaderSpec(id="extractive", type="extractive")])
    max_questions: int | None = Field(default=None, gt=0, le=10_000_000)  # per source, seeded
    # human ratings (CSV / JSONL: question_id, system, rating 0-10, rater); docs/tiers/qa.md
    ratings: Path | None = None
    # ratings of a reader this suite does not run (another suite's): error, or count as unused
    ratings_other_readers: Literal["error", "unused"] = "error"

    @model_validator(mode="after")
    def _consistent(self) -> QATier:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be below chunk_size "
                             f"({self.chunk_size})")
        require_unique([s.id for s in self.sources], "qa source")
        require_unique([r.id for r in self.readers], "reader")
        for reader in self.readers:
            require_known(reader.sources, {s.id for s in self.sources}, "qa source")
            if reader.passages is not None and reader.passages > self.top_k:
                raise ValueError(f'reader "{reader.id}" reads passages: {reader.passages} but '
                                 f"only top_k: {self.top_k} are retrieved")
        return self
