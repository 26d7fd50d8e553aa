"""Parity tier: the keyword embedder through the real loopback server agrees with itself
(~1.0); a server that perturbs its vectors drifts, and the gate on the drift fails."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from embedgate.embedders.base import Role
from embedgate.embedders.http import OpenAICompatibleEmbedder
from embedgate.embedders.serve import OpenAIEmbeddingsServer
from embedgate.inputs.beir import load_beir
from embedgate.judge.gates import evaluate as evaluate_gates
from embedgate.results.schema import RunResult, SuiteInfo, TierResult
from embedgate.suite import GateSpec, OpenAICompatibleSpec
from embedgate.suite.tiers_parity import ParityTier
from embedgate.tiers import parity
from embedgate.tiers.context import RunContext
from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder

PARAMS = ParityTier.model_validate({"pairs": [{"reference": "keyword", "candidate": "served"}],
                                    "min_cosine": 0.99, "passages": 50, "n_resamples": 200})


def _served(server: OpenAIEmbeddingsServer) -> OpenAICompatibleEmbedder:
    spec = OpenAICompatibleSpec(id="served", kind="openai-compatible", base_url=server.base_url,
                                model="keyword", max_concurrency=1)
    return OpenAICompatibleEmbedder(spec)


@pytest.fixture(scope="module")
def domain() -> object:
    return load_beir("domain", FIXTURES / "domain", "test")


@pytest.fixture
def local() -> KeywordEmbedder:
    return KeywordEmbedder(dim=64)


def _perturbed(embedder: KeywordEmbedder) -> object:
    rng = np.random.default_rng(0)

    def encode(texts: Sequence[str], role: Role) -> np.ndarray:
        vecs = embedder.encode(texts, role)
        noisy = vecs + rng.normal(0, 0.2, vecs.shape).astype(np.float32)  # a drifted export
        return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)

    return encode


@pytest.fixture
def served(local: KeywordEmbedder) -> Iterator[OpenAICompatibleEmbedder]:
    with OpenAIEmbeddingsServer(local.encode, local.dim, "keyword") as server:
        yield _served(server)


def test_served_keyword_embedder_is_at_parity(local: KeywordEmbedder, served: object,
                                              domain: object) -> None:
    result = parity.compare_pair(local, served, domain, PARAMS, RunContext(seed=1))  # type: ignore[arg-type]
    rows = {r.metric: r for r in result.metrics}
    assert rows["cosine_mean vs keyword"].value == pytest.approx(1.0, abs=1e-6)
    assert rows["cosine_min vs keyword"].value == pytest.approx(1.0, abs=1e-6)
    assert rows["texts_below_min_cosine vs keyword"].value == 0
    assert not rows["texts_below_min_cosine vs keyword"].higher_is_better
    assert rows["overlap@10 vs keyword"].value == pytest.approx(1.0)
    assert rows["delta_nDCG@10 vs keyword"].value == pytest.approx(0.0, abs=1e-9)
    n_q = len(domain.queries)  # type: ignore[attr-defined]
    per = {p.metric: p.values for p in result.per_query}
    assert len(per["cosine vs keyword"]) == n_q + min(50, len(domain.doc_ids))  # type: ignore[attr-defined]
    assert len(per["delta_nDCG@10 vs keyword"]) == n_q
    assert all(r.tier == "parity" and r.embedder == "served" for r in result.metrics)


def test_perturbed_server_drifts_and_the_gate_fails(local: KeywordEmbedder,
                                                     domain: object) -> None:
    with OpenAIEmbeddingsServer(_perturbed(local), local.dim, "keyword") as server:  # type: ignore[arg-type]
        result = parity.compare_pair(local, _served(server), domain, PARAMS,  # type: ignore[arg-type]
                                     RunContext(seed=1))
    rows = {r.metric: r for r in result.metrics}
    assert rows["cosine_mean vs keyword"].value < 0.99
    assert rows["texts_below_min_cosine vs keyword"].value > 0
    assert rows["overlap@10 vs keyword"].value < 1.0
    low = rows["delta_nDCG@10_ci_low vs keyword"].value
    assert low <= rows["delta_nDCG@10 vs keyword"].value <= rows["delta_nDCG@10_ci_high vs keyword"].value
    gate = GateSpec.model_validate({"embedder": "served", "tier": "parity", "dataset": "domain",
                                    "metric": "texts_below_min_cosine vs keyword",
                                    "absolute": "<= 0"})
    assert _verdict(gate, result) == "regressed"


def _verdict(gate: GateSpec, result: TierResult) -> str:
    run = RunResult(suite=SuiteInfo(name="t", file="t.yaml", sha256="0"), provenance={},
                    embedders={}, datasets={}, params={}, metrics=result.metrics,
                    per_query=result.per_query)
    return evaluate_gates(run, None, [gate]).status


def test_report_section_shows_each_pair(local: KeywordEmbedder, served: object,
                                        domain: object) -> None:
    from embedgate.report.sections import Inputs
    from embedgate.report.sections import parity as section

    result = parity.compare_pair(local, served, domain, PARAMS, RunContext(seed=1))  # type: ignore[arg-type]
    run = RunResult(suite=SuiteInfo(name="t", file="t.yaml", sha256="0"), provenance={},
                    embedders={}, datasets={}, params={}, metrics=result.metrics,
                    per_query=result.per_query, details={"parity/served/domain": result.details})
    views = section.build(Inputs(result=run))
    assert views is not None and views[0].dataset == "domain"
    row = views[0].table.rows[0]
    assert [c.text for c in row[:2]] == ["served", "keyword"]
    assert len(views[0].worst[0][1].rows) == parity.WORST_SHOWN
