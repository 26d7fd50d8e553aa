"""What every reader shares: the request type, the protocol, and prompt/caching for generators."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from embedgate.tiers.qa.gencache import GenerationCache, cache_key

EncodeTexts = Callable[[Sequence[str], str], np.ndarray]  # (texts, role) -> unit vectors


@dataclass(frozen=True)
class ReadRequest:
    question: str
    passages: tuple[str, ...]


class Reader(Protocol):
    id: str
    fingerprint: str

    def answer(self, requests: Sequence[ReadRequest], encode: EncodeTexts,
               progress: bool = False) -> list[str]:
        """One answer string per request, in order."""
        ...


Messages = list[dict[str, str]]


def render_messages(spec: Any, request: ReadRequest) -> Messages:
    """Chat messages from the suite's system text and prompt template.

    Passages are numbered ``[1] …`` in retrieval order and cut to `max_context_chars` in total,
    so a small model's context window is never overrun silently (the cut is deterministic).
    """
    budget = spec.max_context_chars
    parts: list[str] = []
    for n, passage in enumerate(request.passages, 1):
        piece = f"[{n}] {passage}"[:budget]
        if not piece:
            break
        parts.append(piece)
        budget -= len(piece) + 1
    context = "\n".join(parts)
    user = spec.prompt.format(context=context, question=request.question)
    return ([{"role": "system", "content": spec.system}] if spec.system else []) + \
        [{"role": "user", "content": user}]


def clean_answer(text: str) -> str:
    """The generation on one line, white space collapsed.

    The whole text is kept (bounded by the token limit): small models often put the answer on
    the line after "The answer is:", and cutting at the first line would lose it.
    """
    return " ".join(text.split())


class CachedGenerator:
    """Answers through a cache: only prompts never seen by this fingerprint reach `generate`."""

    def __init__(self, reader_id: str, fingerprint: str, cache: GenerationCache) -> None:
        self.reader_id = reader_id
        self.fingerprint = fingerprint
        self.cache = cache

    def run(self, prompts: Sequence[Messages],
            generate: Callable[[list[Messages]], list[str]]) -> list[str]:
        keys = [cache_key(self.fingerprint, p) for p in prompts]
        answers: list[str | None] = [self.cache.get(k) for k in keys]
        todo = [i for i, a in enumerate(answers) if a is None]
        unique = list(dict.fromkeys(keys[i] for i in todo))  # the same prompt twice: one call
        first = {keys[i]: i for i in reversed(todo)}
        fresh = generate([prompts[first[k]] for k in unique]) if unique else []
        for key, text in zip(unique, fresh):
            self.cache.put(key, self.reader_id, text)
        by_key = dict(zip(unique, fresh))
        return [a if a is not None else by_key[keys[i]] for i, a in enumerate(answers)]
