"""Per-dataset query instructions, as MTEB's instruct wrappers give them (issue 32).

Instruction-tuned embedders (e5-instruct, Qwen3-Embedding, bge's retrieval instruction) are
told what a query is for, and the best wording depends on the task. The suite says it in two
halves, the way MTEB does: a dataset carries the task's `instruction` ("Given a scientific
claim, retrieve documents that support or refute it"), and an embedder carries its model's
`query_instruction_template` ("Instruct: {instruction}\\nQuery: "). For a job on that dataset the
queries become ``template.format(instruction=...) + query`` (after the embedder's own
`query_prefix`, which instruct models leave empty); passages are untouched. An embedder's
`query_instructions: {dataset: text}` gives its own whole text for a dataset instead (a model
card's per-task prompts), used as written.

`InstructedEmbedder` is that view of an embedder. The encode pipeline unwraps it
(``instructs``) and encodes the instructed texts with the embedder itself, so the instruction
is part of every cached text's key: a changed instruction misses the cache, an unchanged suite
hits it, and workers that rebuild the bare embedder (Ray) see the same texts.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from embedgate.embedders.base import Embedder, Retriever, Role
from embedgate.suite import Suite


class InstructedEmbedder:
    """`inner` with `instruction` in front of every query (passages unchanged)."""

    def __init__(self, inner: Embedder, instruction: str) -> None:
        self.inner = inner
        self.instruction = instruction
        self.info = inner.info

    @property
    def instructs(self) -> tuple[Embedder, str]:
        return self.inner, self.instruction

    def texts(self, texts: Sequence[str], role: Role) -> list[str]:
        return [self.instruction + t for t in texts] if role == "query" else list(texts)

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        return self.inner.encode(self.texts(texts, role), role)


def suite_instruction(spec: Any, suite: Suite, dataset: str | None) -> str | None:
    """The query instruction for embedder `spec` on suite dataset `dataset` (None: none)."""
    own = (getattr(spec, "query_instructions", None) or {}).get(dataset or "")
    if own:  # the embedder's own wording for this dataset, used as written
        return str(own)
    wanted = {d.id: getattr(d, "instruction", None) for d in suite.datasets}.get(dataset or "")
    return query_instruction(getattr(spec, "query_instruction_template", None), wanted)


def query_instruction(template: str | None, instruction: str | None) -> str | None:
    """The text put in front of queries, or None when the embedder or dataset has none.

    >>> query_instruction("Instruct: {instruction}\\nQuery: ", "Find the answer")
    'Instruct: Find the answer\\nQuery: '
    """
    if not template or not instruction:
        return None
    return template.replace("{instruction}", instruction)


def instructed(embedder: Any, text: str | None) -> Any:
    """`embedder` itself, or its instructed view when there is an instruction (a retrieval
    system that ranks by itself is left as it is: it has no query encoder of its own)."""
    if text is None or isinstance(embedder, Retriever):
        return embedder
    return InstructedEmbedder(embedder, text)
