"""OpenAI-compatible chat reader: POST {base_url}/chat/completions, temperature 0.

Transport (timeouts, retries with backoff honouring Retry-After, bounded concurrency, request
budget, API key from a named environment variable and never logged) is `http_client`'s, the
same client the HTTP embedder uses. Answers are cached by (endpoint + model + max_tokens,
messages), so a re-run only pays for questions it has not asked; a hosted model may change
behind the same name, which the cache cannot see (clear it when the vendor updates a model).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embedgate.suite import OpenAIReaderSpec
from embedgate.infra.errors import InfraError
from embedgate.infra.http_client import JsonHttpClient
from embedgate.infra.urls import redact_url
from embedgate.tiers.qa.gencache import GenerationCache
from embedgate.tiers.qa.readers.base import (
    CachedGenerator, EncodeTexts, Messages, ReadRequest, clean_answer, render_messages,
)


def client_for(spec: OpenAIReaderSpec, where: str = "") -> JsonHttpClient:
    """The HTTP client a spec describes (raises InputError when the key variable is unset)."""
    return spec.client(user_agent="embedgate-http/1", where=where)


class OpenAIReader:
    def __init__(self, spec: OpenAIReaderSpec, where: str, base_dir: Path = Path("."),
                 cache: GenerationCache | None = None) -> None:
        self.spec = spec
        self.id = spec.id
        self.where = where
        self.client = client_for(spec, f'{where}: reader "{spec.id}"')
        self.fingerprint = (f"openai-compatible:{redact_url(spec.base_url).rstrip('/')}:"
                            f"{spec.model}:"
                            f"temperature=0:max_tokens={spec.max_tokens}")
        self.cache = cache or GenerationCache(None)
        self.generator = CachedGenerator(spec.id, self.fingerprint, self.cache)

    def answer(self, requests: Sequence[ReadRequest], encode: EncodeTexts,
               progress: bool = False) -> list[str]:
        prompts = [render_messages(self.spec, r) for r in requests]
        return self.generator.run(prompts, self._complete_all)

    def _complete_all(self, prompts: list[Messages]) -> list[str]:
        payloads = [{"model": self.spec.model, "messages": m, "temperature": 0,
                     "max_tokens": self.spec.max_tokens} for m in prompts]
        return [self._content(body) for body in self.client.map_post("chat/completions", payloads)]

    def _content(self, body: Any) -> str:
        """choices[0].message.content of a chat-completions response, else an InfraError."""
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            url = self.client.redact(self.client.url("chat/completions"))
            raise InfraError(f"{self.client.where}: {url} answered without "
                             f"choices[0].message.content: {str(body)[:200]!r}") from None
        return clean_answer(str(content or ""))

    def stats(self) -> dict[str, float]:
        s = self.client.stats
        return {"requests": s.requests, "retries": s.retries, "failures": s.failures,
                "waited_s": s.waited_s, "budget_used": self.client.budget.used}
