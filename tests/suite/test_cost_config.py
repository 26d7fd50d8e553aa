"""The suite's `cost:` block: absent by default; bad prices and unknown names fail with
file:line."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from embedgate.infra.errors import InputError
from embedgate.suite import load_suite

from tests.conftest import FIXTURES

HEAD = f"""name: c
embedders:
  - {{id: minilm, kind: sentence-transformers, model: packaged:all-MiniLM-L6-v2}}
  - {{id: api, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", model: m}}
datasets:
  - {{id: domain, path: {FIXTURES / "domain"}}}
tiers:
  retrieval: {{metrics: [nDCG@10]}}
"""
COST = """cost:
  cpu_usd_per_hour: {cpu}
  ram_usd_per_gb_month: 3.0
  queries_per_month: 100000
  embedders:
    {name}: {{price_usd_per_million_tokens: {price}}}
"""


def _load(write_suite: Callable[[str], Path], cpu: str = "0.05", name: str = "api",
          price: str = "0.02") -> None:
    load_suite(write_suite(HEAD + COST.format(cpu=cpu, name=name, price=price)))


def test_a_suite_without_cost_has_none(write_suite: Callable[[str], Path]) -> None:
    assert load_suite(write_suite(HEAD)).suite.cost is None


def test_a_valid_cost_block_loads(write_suite: Callable[[str], Path]) -> None:
    cost = load_suite(write_suite(HEAD + COST.format(cpu=0.05, name="api", price=0.02))).suite.cost
    assert cost is not None and cost.embedders["api"].price_usd_per_million_tokens == 0.02
    assert cost.cpu_sample_queries == 256 and cost.datasets is None


@pytest.mark.parametrize("cpu, price, line, what", [
    ("-0.05", "0.02", 10, "cpu_usd_per_hour"),
    (".nan", "0.02", 10, "cpu_usd_per_hour"),
    ("0.05", "-1", 14, "price_usd_per_million_tokens"),
    ("0.05", ".nan", 14, "price_usd_per_million_tokens"),
    ("0.05", ".inf", 14, "price_usd_per_million_tokens"),
])
def test_a_bad_price_names_its_line(write_suite: Callable[[str], Path], cpu: str, price: str,
                                    line: int, what: str) -> None:
    with pytest.raises(InputError) as err:
        _load(write_suite, cpu=cpu, price=price)
    assert f"suite.yaml:{line}:" in str(err.value) and what in str(err.value)


def test_an_unknown_embedder_in_the_price_block_names_its_line(
        write_suite: Callable[[str], Path]) -> None:
    with pytest.raises(InputError) as err:
        _load(write_suite, name="minlm")
    assert str(err.value).split(": ", 1)[0].endswith("suite.yaml:14")
    assert 'unknown embedder "minlm" (did you mean "minilm"?)' in str(err.value)


def test_an_api_embedder_needs_a_price(write_suite: Callable[[str], Path]) -> None:
    with pytest.raises(InputError, match=r"suite.yaml:9: embedder \"api\" is an API .*"
                                         r"cost.embedders.api.price_usd_per_million_tokens"):
        _load(write_suite, name="minilm")


def test_an_unknown_cost_dataset_names_its_line(write_suite: Callable[[str], Path]) -> None:
    text = HEAD + COST.format(cpu=0.05, name="api", price=0.02) + "  datasets: [domian]\n"
    with pytest.raises(InputError, match=r"suite.yaml:15: cost.datasets: unknown dataset "
                                         r"\"domian\" \(did you mean \"domain\"\?\)"):
        load_suite(write_suite(text))
