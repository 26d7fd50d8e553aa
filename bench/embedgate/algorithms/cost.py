"""Cost per 1,000 queries of serving an embedder for retrieval: API tokens, encode CPU, index RAM.

Three components, each in USD per 1,000 queries (every one: lower is better):

- ``api``: billed tokens, ``tokens_per_query × 1000 / 1e6 × price_usd_per_million_tokens``;
- ``cpu``: encoding the query yourself, ``cpu_s_per_query × 1000 / 3600 × cpu_usd_per_hour``;
- ``ram``: holding the corpus vectors in memory for a month, spread over that month's queries,
  ``n_vectors × bytes_per_vector / 1e9 × ram_usd_per_gb_month / queries_per_month × 1000``.

An embedder billed per token (an API) has no CPU component of yours; a self-hosted one has no
API component. GB is 10^9 bytes.

>>> c = per_1k_queries(CostInputs(tokens_per_query=20, price_usd_per_million_tokens=0.02,
...     cpu_s_per_query=None, cpu_usd_per_hour=0.05, n_vectors=1_000_000,
...     bytes_per_vector=1536, ram_usd_per_gb_month=4.0, queries_per_month=1_000_000))
>>> round(c.api, 6), c.cpu, round(c.ram, 6), round(c.total, 6)
(0.0004, 0.0, 0.006144, 0.006544)
"""
from __future__ import annotations

from dataclasses import dataclass

PER = 1000  # queries the figures are quoted for
GB = 1e9


@dataclass(frozen=True)
class CostInputs:
    """What one embedder's cost on one corpus depends on. A price of None: not billed per
    token (self-hosted); a CPU measure of None: not encoded by us (an API)."""

    tokens_per_query: float
    price_usd_per_million_tokens: float | None
    cpu_s_per_query: float | None
    cpu_usd_per_hour: float
    n_vectors: int
    bytes_per_vector: float
    ram_usd_per_gb_month: float
    queries_per_month: float


@dataclass(frozen=True)
class CostPer1k:
    """USD per 1,000 queries, by component."""

    api: float
    cpu: float
    ram: float

    @property
    def total(self) -> float:
        return self.api + self.cpu + self.ram


def api_usd(tokens_per_query: float, price_usd_per_million_tokens: float) -> float:
    """Billed tokens of 1,000 queries at a per-million-token price."""
    return tokens_per_query * PER / 1e6 * price_usd_per_million_tokens


def cpu_usd(cpu_s_per_query: float, cpu_usd_per_hour: float) -> float:
    """CPU-seconds of 1,000 query encodes at a price per CPU-hour."""
    return cpu_s_per_query * PER / 3600 * cpu_usd_per_hour


def ram_usd(n_vectors: int, bytes_per_vector: float, ram_usd_per_gb_month: float,
            queries_per_month: float) -> float:
    """One month of the index's RAM, amortised over that month's queries, per 1,000."""
    gb = n_vectors * bytes_per_vector / GB
    return gb * ram_usd_per_gb_month / queries_per_month * PER


def per_1k_queries(inputs: CostInputs) -> CostPer1k:
    """The three components for one embedder on one corpus."""
    price = inputs.price_usd_per_million_tokens
    api = 0.0 if price is None else api_usd(inputs.tokens_per_query, price)
    cpu = 0.0 if price is not None or inputs.cpu_s_per_query is None else \
        cpu_usd(inputs.cpu_s_per_query, inputs.cpu_usd_per_hour)
    ram = ram_usd(inputs.n_vectors, inputs.bytes_per_vector, inputs.ram_usd_per_gb_month,
                  inputs.queries_per_month)
    return CostPer1k(api=api, cpu=cpu, ram=ram)
