"""Vector databases as retrieval systems, against the real engines (embedded PostgreSQL +
pgvector, started once per session by embedgate's own code; Qdrant Edge in-process), with the
example char-n-gram plugin as the source embedder: exact search in the database reproduces
faiss exact, a sweep becomes one row per setting with its paired interval against exact, an
index really is used (ef_search caps what HNSW returns), the tables are dropped afterwards,
and the report names the cheapest setting that holds the margin."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from embedgate.cli.entry import main

from tests.conftest import FIXTURES, install_example_plugin

SUITE = f"""name: vector-stores-test
seed: 13
embedders:
  - {{id: kw, kind: char-ngram}}
  - {{id: kw3, kind: char-ngram, params: {{ngram: 3}}}}
  - {{id: pg-exact, kind: pgvector, from: kw, dsn: embedded, latency_queries: 4}}
  - id: pg-hnsw
    kind: pgvector
    from: kw
    dsn: embedded
    index: hnsw
    m: 8
    ef_construction: 32
    ef_search: [10, 200]
    noninferiority: {{metric: nDCG@10, margin: 0.02}}
  - {{id: pg-ivf, kind: pgvector, from: kw, dsn: embedded, index: ivfflat, lists: 8,
     probes: [8]}}
  - {{id: pg-bit, kind: pgvector, from: kw, dsn: embedded, storage: bit, rerank: 8}}
  - {{id: q-exact, kind: qdrant, from: kw, index: exact}}
  - {{id: q-sq, kind: qdrant, from: kw, quantization: scalar, hnsw_ef: [128],
     oversampling: [1, 3]}}
  - {{id: asym, kind: asymmetric, query: kw3, corpus: kw}}
datasets:
  - {{id: test, path: {FIXTURES / 'domain'}, split: test}}
tiers:
  retrieval: {{datasets: [test], metrics: [nDCG@10, R@100], top_k: 100}}
gates:
  - {{embedder: pg-hnsw@ef200, tier: retrieval, metric: nDCG@10, versus: kw,
     non_inferiority: {{margin: 0.02}}}}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, pg_dsn: str) -> Iterator[tuple[dict, Path]]:
    tmp = tmp_path_factory.mktemp("vector-stores")
    with pytest.MonkeyPatch.context() as mp:
        install_example_plugin(tmp / "site", mp)
        (tmp / "suite.yaml").write_text(SUITE, encoding="utf-8")
        assert main(["run", str(tmp / "suite.yaml"), "--out", str(tmp / "out"), "-q"]) == 0
        yield json.loads((tmp / "out" / "results.json").read_text(encoding="utf-8")), tmp / "out"


def _value(result: dict, embedder: str, metric: str) -> float:
    return next(r["value"] for r in result["metrics"] if r["embedder"] == embedder
                and r["metric"] == metric and r["tier"] == "retrieval")


def _pipeline(result: dict, embedder: str) -> dict:
    return result["details"][f"retrieval/{embedder}/test"]["pipeline"]


def test_exact_search_in_each_database_reproduces_faiss_exact(run: tuple[dict, Path]) -> None:
    result, _ = run
    for system in ("pg-exact", "q-exact", "pg-ivf"):  # ivfflat probing every list is exact
        assert _value(result, system, "nDCG@10") == pytest.approx(
            _value(result, "kw", "nDCG@10"), abs=1e-4)
        assert _value(result, system, "ANN-recall@10") > 0.99  # the hashed n-grams tie a lot
        assert _pipeline(result, system)["inputs"]["kw"]["nDCG@10"] == pytest.approx(
            _value(result, "kw", "nDCG@10"))


def test_a_sweep_is_one_row_per_setting_each_with_its_interval_vs_exact(
        run: tuple[dict, Path]) -> None:
    result, _ = run
    assert {"pg-hnsw@ef10", "pg-hnsw@ef200", "q-sq@os1", "q-sq@os3"} <= set(result["embedders"])
    assert "pg-hnsw" not in result["embedders"]
    for system in ("pg-hnsw@ef10", "pg-hnsw@ef200", "q-sq@os3"):
        vs = _pipeline(result, system)["vs_best_input"]["nDCG@10"]
        assert vs["input"] == "kw" and len(vs["ci95"]) == 2 and 0.0 <= vs["p"] <= 1.0
        stages = _pipeline(result, system)["stages"][f"{system}:search"]
        assert stages["n"] == result["details"][f"retrieval/{system}/test"]["n_queries"]
        assert 0 < stages["p50"] <= stages["p95"]


def test_a_sweep_builds_its_index_once_and_searches_it_at_every_setting(
        run: tuple[dict, Path]) -> None:
    """ef_search, probes and oversampling are search-time settings: the first value builds the
    table (the shard) and its index, the others search the same one; the build figures are
    the one build's, to the nanosecond (two builds never time alike)."""
    result, _ = run
    for sweep in (("pg-hnsw@ef10", "pg-hnsw@ef200"), ("q-sq@os1", "q-sq@os3")):
        first, second = (_pipeline(result, s)["counts"] for s in sweep)
        assert first["build_s"] > 0 and first == second
    # a different build (another declared system) never shares it
    assert _pipeline(result, "pg-exact")["counts"]["load_s"] != _pipeline(
        result, "pg-hnsw@ef10")["counts"]["load_s"]


def test_hnsw_really_searches_its_index(run: tuple[dict, Path]) -> None:
    """pgvector's HNSW scan returns at most ef_search rows: with ef_search 10 and top_k 100 the
    index (not a sequential scan the planner might prefer on a small table) answered."""
    result, _ = run
    assert _value(result, "pg-hnsw@ef10", "ANN-recall@100") <= 0.1 + 1e-9
    assert _value(result, "pg-hnsw@ef200", "ANN-recall@100") > 0.9
    low, high = (_pipeline(result, f"pg-hnsw@{s}")["counts"] for s in ("ef10", "ef200"))
    assert low["index_bytes"] > 0 and low["build_s"] > 0 and low["n_vectors"] == 397
    assert _pipeline(result, "pg-exact")["counts"]["index_bytes"] == 0


def test_binary_codes_with_rerank_keep_the_exact_order(run: tuple[dict, Path]) -> None:
    result, _ = run
    counts = _pipeline(result, "pg-bit")["counts"]
    assert counts["table_bytes"] > 0
    # re-ranked by full vectors, so the scores are cosines of the stored float vectors
    assert _value(result, "pg-bit", "ANN-recall@10") > 0.9


def test_quantized_qdrant_reports_its_codes_and_recall(run: tuple[dict, Path]) -> None:
    result, _ = run
    for system in ("q-sq@os1", "q-sq@os3"):
        counts = _pipeline(result, system)["counts"]
        assert counts["indexed_vectors"] == 397 and counts["index_bytes"] > 0
        assert _pipeline(result, system)["settings"]["quantization"] == "scalar"
    assert _value(result, "q-sq@os3", "ANN-recall@100") >= _value(result, "q-sq@os1",
                                                                   "ANN-recall@100") - 0.01


def test_asymmetric_pair_is_judged_against_both_encoders(run: tuple[dict, Path]) -> None:
    result, _ = run
    inputs = _pipeline(result, "asym")["inputs"]
    assert set(inputs) == {"kw", "kw3"}
    assert inputs["kw3"]["nDCG@10"] == pytest.approx(_value(result, "kw3", "nDCG@10"))
    assert _value(result, "asym", "nDCG@10") != pytest.approx(_value(result, "kw", "nDCG@10"))


def test_tables_are_dropped_and_the_report_names_the_cheapest_holding_setting(
        run: tuple[dict, Path], pg_dsn: str) -> None:
    _, out = run
    with psycopg.connect(pg_dsn) as conn:
        left = conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE "
                            "'embedgate_%'").fetchall()
    assert left == []
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Vector stores: each setting against exact search" in html
    assert "the cheapest (least search effort, in the sweep&#39;s order): pg-hnsw@ef200" in html


def _anon_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(ln.split()[1]) / 1024 for ln in fh if ln.startswith("RssAnon:"))


def test_ingest_streams_without_a_second_copy_of_the_corpus(tmp_path: Path, pg_dsn: str) -> None:
    """64 MiB of vectors in a memmap go in by binary COPY a batch at a time: the client's own
    (anonymous) memory grows by far less than the corpus."""
    import numpy as np

    from embedgate.retrievers import pg_sql
    from embedgate.retrievers.pg_server import connect

    n, dim = 65_536, 256
    vecs = np.lib.format.open_memmap(tmp_path / "v.npy", mode="w+", dtype=np.float32,
                                     shape=(n, dim))
    for start in range(0, n, 8192):
        vecs[start:start + 8192] = np.random.default_rng(start).standard_normal((8192, dim))
    vecs.flush()
    del vecs
    docs = np.load(tmp_path / "v.npy", mmap_mode="r")
    conn = connect(pg_dsn, "memtest")
    layout = pg_sql.Layout(table=pg_sql.unique_table("memtest"), id_col="id",
                           vec_col="embedding", dim=dim)
    try:
        pg_sql.create_table(conn, layout, False, "test")
        before = _anon_mib()
        pg_sql.copy_rows(conn, layout, docs, 2048)
        grown = _anon_mib() - before
        rows = conn.execute(f"SELECT count(*) FROM {layout.table}").fetchone()[0]
    finally:
        pg_sql.drop(conn, layout.table)
        conn.close()
    assert rows == n
    assert grown < 16, f"anonymous memory grew {grown:.0f} MiB for a 64 MiB corpus"


def test_a_gate_names_one_setting_of_a_sweep(run: tuple[dict, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from embedgate.infra.errors import InputError
    from embedgate.suite import load_suite

    install_example_plugin(tmp_path / "site", monkeypatch)
    result, _ = run
    gate = result["verdict"]["gates"][0]
    assert (gate["embedder"], gate["status"]) == ("pg-hnsw@ef200", "pass")
    bad = tmp_path / "bad.yaml"
    bad.write_text(SUITE.replace("embedder: pg-hnsw@ef200", "embedder: pg-hnsw@ef7"),
                   encoding="utf-8")
    with pytest.raises(InputError, match='unknown embedder "pg-hnsw@ef7"'):
        load_suite(bad)


def test_the_index_build_gets_the_memory_the_suite_gives_it(
        pg_dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    """build_memory_mb becomes the build's maintenance_work_mem; a graph that outgrows it
    (pgvector's NOTICE) is a warning naming the key to raise (at 1M vectors here the spilled
    build took 5x as long)."""
    import numpy as np

    from embedgate.retrievers import pg_sql
    from embedgate.retrievers.pg_server import connect

    vecs = np.random.default_rng(0).normal(size=(6000, 64)).astype(np.float32)
    conn = connect(pg_dsn, "mem-test")
    try:
        for memory_mb, spills in ((77, False), (1, True)):
            caplog.clear()
            layout = pg_sql.Layout(table=pg_sql.unique_table("mem"), id_col="id", vec_col="v",
                                   dim=64)
            pg_sql.create_table(conn, layout, False, "test")
            pg_sql.copy_rows(conn, layout, vecs, 2048)
            pg_sql.build_index(conn, layout, "hnsw", {"m": 8, "ef_construction": 16},
                               memory_mb=memory_mb)
            assert conn.execute("SHOW maintenance_work_mem").fetchone()[0] == f"{memory_mb}MB"
            assert ("raise build_memory_mb" in caplog.text) is spills
            pg_sql.drop(conn, layout.table)
    finally:
        conn.close()
