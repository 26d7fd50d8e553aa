"""HTTP endpoint settings, declared once for every spec that calls a server (embeddings, rerank,
chat readers): where it is, which variable holds its key, and how patiently to call it.

A spec inherits `HttpEndpointSpec` and overrides only the defaults that differ for its traffic
(a reranker sends a request per query, so its budget is larger). `client(user_agent)` builds
the JSON client those settings describe.
"""
from __future__ import annotations

from pydantic import Field

from embedgate.infra.http_client import ClientConfig, JsonHttpClient, RequestBudget, RetryPolicy
from embedgate.suite.base import Spec

URL_PATTERN = r"^https?://[^\s/]+(/\S*)?$"  # .../v1 or the server root
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class HttpEndpointSpec(Spec):
    """`api_key_env` names the environment variable holding the key; the key itself never
    appears in a suite, a result or a log."""

    base_url: str = Field(pattern=URL_PATTERN)
    model: str = Field(min_length=1)
    api_key_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    max_concurrency: int = Field(default=4, gt=0, le=64)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    max_retries: int = Field(default=5, ge=0, le=20)
    backoff_s: float = Field(default=0.5, gt=0, le=60)
    max_retry_after_s: float = Field(default=60.0, ge=0, le=3600)
    max_call_s: float = Field(default=600.0, gt=0, le=86400)  # one request incl. its retries
    # HTTP requests this spec may send in one run, retries and probes included.
    request_budget: int = Field(default=2000, gt=0, le=10_000_000)

    def client(self, user_agent: str, where: str = "") -> JsonHttpClient:
        """A JSON client with these timeouts, retries, concurrency and request budget; `where`
        (the suite entry and its file:line) starts every message about this endpoint."""
        retry = RetryPolicy(max_attempts=self.max_retries + 1, base_delay_s=self.backoff_s,
                            max_retry_after_s=self.max_retry_after_s,
                            max_total_s=self.max_call_s)
        config = ClientConfig(base_url=self.base_url, api_key_env=self.api_key_env,
                              timeout_s=self.timeout_s, max_concurrency=self.max_concurrency,
                              retry=retry, user_agent=user_agent)
        return JsonHttpClient(config, budget=RequestBudget(self.request_budget), where=where)
