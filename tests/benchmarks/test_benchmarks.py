"""Benchmarks are commands that print figures; these check they run and measure what they say
(no speed is asserted here: speed targets live in the benchmarks' output)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from embedgate.benchmarks.common import sample_beir
from embedgate.benchmarks.synthetic import HashEmbedder, synthetic_texts
from embedgate.cli.entry import main
from embedgate.inputs.beir import load_beir

from tests.conftest import FIXTURES


def test_sample_beir_keeps_every_relevant_document(tmp_path: Path) -> None:
    out = sample_beir(FIXTURES / "domain", tmp_path / "s", n_docs=30, n_queries=5,
                      splits=["test"], seed=1)
    col = load_beir("s", out, "test")
    assert col.stats.n_queries_evaluated == 5 and col.stats.n_qrels_unknown_doc_dropped == 0
    relevant = {d for rel in col.qrels.values() for d in rel}
    assert relevant <= set(col.doc_ids) and len(col.doc_ids) == max(30, len(relevant))


def test_hash_embedder_is_deterministic_and_unit_length() -> None:
    texts = synthetic_texts(50)
    a, b = HashEmbedder(64).encode(texts, "passage"), HashEmbedder(64).encode(texts, "passage")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    assert abs(float(a[0] @ a[1])) < 0.6  # different texts are far apart


def test_memory_benchmark_runs_cold_then_warm(capsys) -> None:
    assert main(["bench", "memory", "--sizes", "300", "--dim", "32", "--queries", "5",
                 "--top-k", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cold = next(x.split() for x in lines if x.startswith("300 ") and " cold " in x)
    warm = next(x.split() for x in lines if x.startswith("300 ") and " warm " in x)
    assert cold[5:7] == ["305", "0"] and warm[5:7] == ["0", "305"]  # computed, cache hits


def test_bench_lists_every_benchmark(capsys) -> None:
    assert main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    for name in ("batching", "overhead", "evaluator", "cache", "memory"):
        assert name in out
