"""A small JSON-over-HTTP client for hosted model APIs (embeddings, chat), standard library only.

What it adds over a bare ``urllib.request.urlopen``:

- a per-request timeout (seconds, applied to connect and to every socket read);
- retries with exponential backoff and jitter on 429, 5xx and connection errors/timeouts,
  honouring ``Retry-After`` (delta seconds or an HTTP date), bounded in attempts *and* in
  total time per call (``RetryPolicy.max_attempts`` / ``max_total_s``);
- bounded concurrency: at most ``max_concurrency`` requests in flight per client, and
  `JsonHttpClient.map_post` fans a list of payloads out over a thread pool of that size,
  preserving order;
- a request budget (`RequestBudget`) counting every HTTP attempt, retries included, that can be
  shared by all clients of one run, so a misconfigured run cannot spend without bound;
- an API key read from a *named* environment variable and sent as ``Authorization: Bearer``
  (``user:password@`` in base_url: ``Basic``). Neither is ever logged or part of a message:
  every message passes through a redactor (key, password -> ``***``), and exceptions are raised
  ``from None`` so no chained urllib object (which holds the request headers) travels upward;
- redirects followed only within base_url's origin (`urls.SameOriginRedirects`): a 30x to
  another host is an InfraError, so neither the key nor the traffic leaves the named origin;
- every number in a reply checked finite as it is parsed (`wire.loads_finite`): InfraError;
- one error type for callers: `errors.InfraError` (CLI exit 4) when the server cannot be
  reached, keeps failing, answers non-JSON, or the budget runs out; `errors.InputError` (exit 2)
  when the configuration is wrong (missing environment variable, bad URL) or the server rejects
  the request as malformed or unauthorised (4xx other than 408/409/425/429).

Usage::

    from embedgate.http_client import ClientConfig, JsonHttpClient, RequestBudget, RetryPolicy

    budget = RequestBudget(limit=500)                      # share across a run
    client = JsonHttpClient(ClientConfig(
        base_url="https://api.example.com/v1", api_key_env="EXAMPLE_API_KEY",
        timeout_s=30, max_concurrency=4, retry=RetryPolicy(max_attempts=5)), budget=budget)
    body = client.post_json("embeddings", {"model": "m", "input": ["a", "b"]})
    bodies = client.map_post("embeddings", [payload1, payload2])   # concurrent, ordered

Proxies come from the usual environment variables, except for loopback hosts (127.0.0.0/8,
::1, localhost): always reached directly, so tests and local servers work behind a proxy.
"""
from __future__ import annotations

import base64
import email.utils
import ipaddress
import json
import logging
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone, UTC  # noqa: F401 - timezone: the doctest below
from http.client import HTTPException
from typing import Any

from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.urls import CrossOriginRedirect, SameOriginRedirects, redact_url, split_userinfo
from embedgate.infra.wire import NonFiniteNumber, loads_finite

log = logging.getLogger(__name__)

# 408 request timeout, 409 conflict (some gateways), 425 too early, 429 rate limited, and the
# 5xx family: all transient by definition. Other 4xx mean the request itself is wrong.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
_BODY_SNIPPET = 300  # characters of an error body quoted in messages


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry one call.

    The delay before retry n (1-based) is ``min(max_delay_s, base_delay_s * 2**(n-1))`` scaled by
    a random factor in ``[1 - jitter, 1]`` ("equal jitter" spreads simultaneous clients apart),
    unless the server sent ``Retry-After``, which wins (capped at ``max_retry_after_s``: a server
    asking for more fails the call at once instead of stalling the run).
    """

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    jitter: float = 0.5
    max_retry_after_s: float = 60.0
    max_total_s: float = 300.0  # wall-clock bound on one call including all its retries

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must lie in [0, 1]")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (1-based) when the server gave no hint."""
        delay = min(self.max_delay_s, self.base_delay_s * (2 ** (retry - 1)))
        return delay * (1.0 - self.jitter * rng.random())


@dataclass(frozen=True)
class ClientConfig:
    """Where to send requests and how patiently. `api_key_env` names a variable, never a key."""

    base_url: str
    api_key_env: str | None = None
    timeout_s: float = 60.0
    max_concurrency: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    headers: Mapping[str, str] = field(default_factory=dict)
    user_agent: str = "embedgate-http/1"

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")


class RequestBudget:
    """A thread-safe cap on HTTP attempts (retries included) shared by the clients of one run.

    `limit=None` means unlimited (still counted). `take()` raises InfraError once spent.
    """

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        self.limit = limit
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._used

    def take(self, what: str) -> None:
        with self._lock:
            if self.limit is not None and self._used >= self.limit:
                raise InfraError(
                    f"{what}: request budget of {self.limit} HTTP requests is spent; raise "
                    "request_budget in the suite if the run really needs more (check with "
                    "`--dry-run` first)")
            self._used += 1


@dataclass
class ClientStats:
    """Counters for provenance and tests; updated under the client's lock."""

    requests: int = 0
    retries: int = 0
    failures: int = 0
    waited_s: float = 0.0


class _Retryable(Exception):
    """One failed attempt that may succeed when tried again."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta seconds or an HTTP date; None if absent/bad.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", datetime(2015, 10, 21, 7, 27, 58,
    ...                   tzinfo=timezone.utc))
    2.0
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive parse means "-0000"
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def is_loopback(url: str) -> bool:
    """True for http(s) URLs whose host is localhost or a loopback address."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_api_key(env_var: str | None) -> str | None:
    """The key held by environment variable `env_var` (None when no variable is named)."""
    if env_var is None:
        return None
    key = os.environ.get(env_var, "")
    if not key.strip():
        raise InputError(f"environment variable {env_var} is not set or empty; export the API "
                         f"key there (the suite names the variable, never the key)")
    return key.strip()


class JsonHttpClient:
    """POST/GET JSON with timeouts, retries, bounded concurrency and a request budget.

    Thread-safe: one client may be used from many threads; at most `max_concurrency` requests
    are in flight at once regardless of how many threads call it.
    """

    def __init__(self, config: ClientConfig, *, budget: RequestBudget | None = None,
                 rng: random.Random | None = None,
                 sleep: Callable[[float], None] = time.sleep, where: str = "") -> None:
        scheme = urllib.parse.urlsplit(config.base_url).scheme
        if scheme not in ("http", "https"):
            raise InputError(f'base_url "{redact_url(config.base_url)}" must start with http:// '
                             "or https://")
        self.config = config
        self.where = where  # the suite entry and its file:line, prefixed to every message
        # user:password@ in base_url travels as a Basic header, never inside a URL urllib quotes
        self._base, self._userinfo = split_userinfo(config.base_url)
        self.budget = budget if budget is not None else RequestBudget()
        self.stats = ClientStats()
        self._key = read_api_key(config.api_key_env)
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(config.max_concurrency)
        handlers: list[urllib.request.BaseHandler] = [SameOriginRedirects()]
        if is_loopback(config.base_url):
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:  # never show the key, even in a debugger or a log line
        return (f"JsonHttpClient(base_url={self.redact(self.config.base_url)!r}, "
                f"api_key_env={self.config.api_key_env!r})")

    # -- public API -------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self._base.rstrip("/") + "/" + path.lstrip("/") if path else self._base

    def post_json(self, path: str, payload: Any) -> Any:
        """POST `payload` as JSON to base_url/path; return the decoded JSON body."""
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return self._call("POST", self.url(path), data)

    def get_json(self, path: str) -> Any:
        """GET base_url/path; return the decoded JSON body."""
        return self._call("GET", self.url(path), None)

    def map_post(self, path: str, payloads: Sequence[Any]) -> list[Any]:
        """POST every payload concurrently (≤ max_concurrency at once); results in input order.

        The first failure is raised after the in-flight requests finish; requests not yet
        started are cancelled so a failing server is not hammered by the rest of the batch.
        """
        if len(payloads) <= 1 or self.config.max_concurrency == 1:
            return [self.post_json(path, p) for p in payloads]
        with ThreadPoolExecutor(max_workers=self.config.max_concurrency,
                                thread_name_prefix="embedgate-http") as pool:
            futures = [pool.submit(self.post_json, path, p) for p in payloads]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    def redact(self, text: str) -> str:
        """`text` with the API key and URL passwords replaced by ***: every message goes
        through this."""
        secrets = [self._key or "", self._userinfo[1] if self._userinfo else ""]
        for secret in (s for s in secrets if s):
            text = text.replace(secret, "***")
        return redact_url(text)

    # -- one call: attempts, waits, errors --------------------------------------------------
    def _call(self, method: str, url: str, data: bytes | None) -> Any:
        policy = self.config.retry
        what = f"{self.where}: " * bool(self.where) + f"{method} {self.redact(url)}"
        deadline = time.monotonic() + policy.max_total_s
        for attempt in range(1, policy.max_attempts + 1):
            self.budget.take(what)
            failed: _Retryable | None = None
            try:
                return self._attempt(method, url, data, what)
            except _Retryable as exc:
                failed = exc
            # Decided outside the except block so a final error carries no chained context.
            wait = self._wait_before_retry(failed, attempt, deadline, what)
            self._note_retry(wait)
            log.warning("%s: %s; retry %d/%d in %.1f s", what, failed.reason, attempt,
                        policy.max_attempts - 1, wait)
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt either returns or raises")

    def _wait_before_retry(self, failed: _Retryable, attempt: int, deadline: float,
                           what: str) -> float:
        """Seconds to sleep before the next attempt, or raise when no retry is left/allowed."""
        policy = self.config.retry
        if attempt >= policy.max_attempts:
            raise self._fail(f"{what}: gave up after {attempt} attempts; last error: "
                             f"{failed.reason}")
        if failed.retry_after is not None and failed.retry_after > policy.max_retry_after_s:
            raise self._fail(f"{what}: server asked to retry after {failed.retry_after:.0f} s, "
                             f"more than max_retry_after_s={policy.max_retry_after_s:.0f}; "
                             "the rate limit is too tight for this run")
        wait = failed.retry_after if failed.retry_after is not None \
            else policy.backoff(attempt, self._rng)
        if time.monotonic() + wait > deadline:
            raise self._fail(f"{what}: retrying would exceed max_total_s="
                             f"{policy.max_total_s:.0f}; last error: {failed.reason}")
        return wait

    def _attempt(self, method: str, url: str, data: bytes | None, what: str) -> Any:
        """One HTTP exchange; _Retryable for transient failures, InfraError/InputError else."""
        request = urllib.request.Request(url, data=data, method=method,
                                         headers=self._headers(data is not None))
        with self._slots:
            with self._lock:
                self.stats.requests += 1
            try:
                with self._opener.open(request, timeout=self.config.timeout_s) as response:
                    body = response.read()
            except urllib.error.HTTPError as exc:
                raise self._status_error(exc, what) from None
            except CrossOriginRedirect as exc:
                raise self._fail(f"{what}: {exc}, another origin than base_url; embedgate "
                                 "follows redirects only within the origin the suite names "
                                 "(so no key or traffic leaves it): set base_url to the "
                                 "final address") from None
            except TimeoutError as exc:
                raise _Retryable(f"no answer within timeout_s={self.config.timeout_s:g} "
                                 f"({type(exc).__name__})") from None
            except (urllib.error.URLError, ConnectionError, HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise _Retryable(self.redact(f"connection failed: {reason}")) from None
        return self._decode(body, what)

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self.config.user_agent,
                   **self.config.headers}
        if has_body:
            headers["Content-Type"] = "application/json"
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        elif self._userinfo:
            pair = ":".join(self._userinfo).encode("utf-8")
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers

    def _status_error(self, exc: urllib.error.HTTPError, what: str) -> Exception:
        """Map an HTTP error status to a retryable failure or a final, clearly worded error."""
        try:
            snippet = exc.read(4096).decode("utf-8", "replace")[:_BODY_SNIPPET]
        except (OSError, HTTPException):
            snippet = ""
        finally:
            exc.close()
        detail = self.redact(f"HTTP {exc.code}" + (f": {snippet.strip()}" if snippet else ""))
        if exc.code in RETRY_STATUSES:
            return _Retryable(detail, parse_retry_after(exc.headers.get("Retry-After")))
        if exc.code in (401, 403):
            hint = (f"check that ${self.config.api_key_env} holds a valid key"
                    if self.config.api_key_env else "the server wants an API key: set api_key_env")
            return InputError(f"{what}: {detail}; {hint}")
        return InputError(f"{what}: {detail}; the server rejected the request (check model "
                          "name, base_url and parameters)")

    def _decode(self, body: bytes, what: str) -> Any:
        try:
            return loads_finite(body)
        except NonFiniteNumber as exc:  # NaN scores would silently reorder a ranking
            raise self._fail(f"{what}: server answered with a {exc}; every number on the "
                             "wire must be finite (a broken model or server)") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            snippet = body[:_BODY_SNIPPET].decode("utf-8", "replace")
            raise self._fail(f"{what}: server answered with malformed JSON: "
                             f"{snippet!r}") from None

    def _note_retry(self, wait: float) -> None:
        with self._lock:
            self.stats.retries += 1
            self.stats.waited_s += wait

    def _fail(self, message: str) -> InfraError:
        with self._lock:
            self.stats.failures += 1
        return InfraError(self.redact(message))
