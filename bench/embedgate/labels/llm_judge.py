"""An LLM relevance judge over an OpenAI-compatible chat endpoint, UMBRELA-style (Upadhyay et
al. 2024, after Thomas et al. 2023): one passage, one query, a grade from 0 to 3.

Transport is infra/http_client.py (timeouts, retries, budget, key from the environment);
answers are cached by content (endpoint + model + prompt) in the generation cache, so a re-run
sends only pairs it has never asked about. An answer without a grade on the 0–3 scale is an
infrastructure error (exit 4) and nothing of that batch is cached.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from embedgate.infra.errors import InfraError
from embedgate.suite.judge import ChatJudgeSpec
from embedgate.tiers.qa.gencache import GenerationCache
from embedgate.tiers.qa.readers.base import CachedGenerator, Messages

PROMPT = """Given a query and a passage, you must provide a score on an integer scale of 0 to 3 \
with the following meanings:
0 = represents that the passage has nothing to do with the query,
1 = represents that the passage seems related to the query but does not answer it,
2 = represents that the passage has some answer for the query, but the answer may be a bit \
unclear, or hidden amongst extraneous information and
3 = represents that the passage is dedicated to the query and contains the exact answer.

Query: {query}
Passage: {passage}

Answer with the final score only, in the format: ##final score: N"""
_GRADE = re.compile(r"final score:\s*\**\s*([0-9]+)", re.IGNORECASE)
TOP = 3  # the prompt's scale


def messages(query: str, passage: str) -> Messages:
    return [{"role": "user", "content": PROMPT.format(query=query, passage=passage)}]


def parse_grade(text: str) -> int | None:
    """The 0–3 grade of an answer ("##final score: 2", or a bare "2"); None when off-scale."""
    found = _GRADE.search(text)
    raw = found.group(1) if found else text.strip().strip(".#* ")
    return int(raw) if raw.isdigit() and 0 <= int(raw) <= TOP else None


def to_scale(grade: int, scale: int) -> int:
    """A 0–3 judge grade on a dataset's 0–``scale`` grades: UMBRELA counts 2 and 3 relevant,
    so on a binary scale 2–3 -> 1; on 0–2, 0–1 -> 0, 2 -> 1, 3 -> 2; from 0–3 up, unchanged."""
    if scale >= TOP:
        return grade
    return 0 if grade < 2 else min(scale, grade - 1)


class ChatJudge:
    def __init__(self, spec: ChatJudgeSpec, cache: GenerationCache | None = None) -> None:
        self.spec = spec
        self.client = spec.client(user_agent="embedgate-judge/1", where=f"judge {spec.model}")
        self.name = f"judge:{spec.model}"
        fingerprint = (f"judge:openai-compatible:{spec.base_url.rstrip('/')}:{spec.model}:"
                       f"umbrela-v1:max_tokens={spec.max_tokens}")
        self.generator = CachedGenerator(self.name, fingerprint, cache or GenerationCache(None))

    def grades(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        """0–3 grades of (query, passage) pairs, in order."""
        answers = self.generator.run([messages(q, p) for q, p in pairs], self._complete)
        grades = [parse_grade(a) for a in answers]
        if any(g is None for g in grades):  # only an answer cached by another version
            raise InfraError(f"judge {self.spec.model}: a cached answer is off the 0-3 scale; "
                             "clear the generation cache")
        return [g for g in grades if g is not None]

    def _complete(self, prompts: list[Messages]) -> list[str]:
        payloads = [{"model": self.spec.model, "messages": m, "temperature": 0,
                     "max_tokens": self.spec.max_tokens} for m in prompts]
        out = [self._content(b) for b in self.client.map_post("chat/completions", payloads)]
        bad = next((a for a in out if parse_grade(a) is None), None)
        if bad is not None:  # checked before the batch is cached
            raise InfraError(f"judge {self.spec.model} at {self._url()} answered off the 0-3 "
                             f"scale: {bad[:120]!r}; the original qrels' results are unchanged")
        return out

    def _content(self, body: Any) -> str:
        try:
            return str(body["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            raise InfraError(f"judge at {self._url()} answered without "
                             f"choices[0].message.content: {str(body)[:200]!r}") from None

    def _url(self) -> str:
        return self.client.redact(self.client.url("chat/completions"))
