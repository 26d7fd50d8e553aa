"""Cost per 1,000 queries: each component against a hand computation."""
from __future__ import annotations

import pytest

from embedgate.algorithms.cost import (CostInputs, api_usd, cpu_usd, per_1k_queries,
                                       ram_usd)


def test_api_cost_is_tokens_times_price() -> None:
    # 25 tokens × 1,000 queries = 25,000 tokens = 0.025 M tokens × $0.10 = $0.0025
    assert api_usd(25, 0.10) == pytest.approx(0.0025)


def test_cpu_cost_is_cpu_seconds_times_hourly_price() -> None:
    # 0.018 CPU-s × 1,000 = 18 CPU-s = 0.005 h × $0.05 = $0.00025
    assert cpu_usd(0.018, 0.05) == pytest.approx(0.00025)


def test_ram_cost_is_a_month_of_the_index_over_the_month_of_queries() -> None:
    # 1M vectors × 1,536 B = 1.536 GB × $3 = $4.608 per month / 100k queries × 1,000 = $0.04608
    assert ram_usd(1_000_000, 1536, 3.0, 100_000) == pytest.approx(0.04608)


def _inputs(price: float | None, cpu_s: float | None) -> CostInputs:
    return CostInputs(tokens_per_query=20, price_usd_per_million_tokens=price,
                      cpu_s_per_query=cpu_s, cpu_usd_per_hour=0.036, n_vectors=500_000,
                      bytes_per_vector=1024, ram_usd_per_gb_month=2.0, queries_per_month=1e6)


def test_self_hosted_pays_cpu_and_ram_but_no_api() -> None:
    c = per_1k_queries(_inputs(None, 0.01))
    # cpu: 10 CPU-s = 1/360 h × 0.036 = 0.0001; ram: 0.512 GB × 2 = 1.024 / 1e6 × 1e3 = 0.001024
    assert (c.api, c.cpu, c.ram) == (0.0, pytest.approx(0.0001), pytest.approx(0.001024))
    assert c.total == pytest.approx(0.001124)


def test_billed_per_token_pays_api_and_ram_but_no_cpu_of_ours() -> None:
    c = per_1k_queries(_inputs(0.02, 0.01))  # a measured CPU figure is ignored when billed
    # api: 20,000 tokens = 0.02 M × 0.02 = 0.0004
    assert (c.api, c.cpu) == (pytest.approx(0.0004), 0.0)
    assert c.total == pytest.approx(0.0004 + 0.001024)
