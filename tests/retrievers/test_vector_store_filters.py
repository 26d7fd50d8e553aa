"""Metadata filters (BEIR extension: corpus `metadata`, a query's `filter`) in the real engines:
a filtered exact search in pgvector and Qdrant equals exact search among the matching
documents (computed apart, with numpy), every document a filtered system returns matches its
query's filter, filtered recall against that reference is reported, and a bad filter is one
file:line error. The domain fixture's queries are filtered to their own domain and language.
A deployed table (`load: existing`) is searched with the same filters through the columns the
suite maps, read-only, and judged against its own filtered exact scan."""
from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from psycopg.types.json import Jsonb

from embedgate.algorithms.filters import allowed, exact_filtered, matches, normalise
from embedgate.cli.entry import main
from embedgate.inputs.beir import load_beir

from tests.conftest import FIXTURES, install_example_plugin

SUITE = """name: filters-test
seed: 13
embedders:
  - {{id: kw, kind: char-ngram}}
  - {{id: pg-exact, kind: pgvector, from: kw, dsn: embedded, latency_queries: 2}}
  - {{id: pg-hnsw, kind: pgvector, from: kw, dsn: embedded, index: hnsw, m: 4,
     ef_construction: 8, ef_search: [10], latency_queries: 2}}
  - {{id: q-exact, kind: qdrant, from: kw, index: exact, latency_queries: 2}}
datasets:
  - {{id: test, path: {data}, split: test}}
tiers:
  retrieval: {{datasets: [test], metrics: [nDCG@10, R@20], top_k: 20}}
"""


def filtered_domain(root: Path) -> Path:
    """The domain fixture with each query filtered to its domain (and, for every third, also
    to its language: a selective filter)."""
    shutil.copytree(FIXTURES / "domain", root)
    lines = []
    for i, line in enumerate((root / "queries.jsonl").read_text(encoding="utf-8").splitlines()):
        q = json.loads(line)
        meta = q.get("metadata", {})
        q["filter"] = {"domain": meta["domain"]} if i % 3 else {"domain": [meta["domain"]],
                                                                "lang": meta["lang"]}
        lines.append(json.dumps(q, ensure_ascii=False))
    (root / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, pg_dsn: str) -> Iterator[tuple[dict, Path]]:
    tmp = tmp_path_factory.mktemp("filters")
    data = filtered_domain(tmp / "domain")
    with pytest.MonkeyPatch.context() as mp:
        install_example_plugin(tmp / "site", mp)
        (tmp / "suite.yaml").write_text(SUITE.format(data=data), encoding="utf-8")
        assert main(["run", str(tmp / "suite.yaml"), "--out", str(tmp / "out"), "-q"]) == 0
        yield json.loads((tmp / "out" / "results.json").read_text(encoding="utf-8")), data


def _trec(out: Path, system: str) -> dict[str, list[str]]:
    ranked: dict[str, list[str]] = {}
    for line in (out / "runs" / f"{system}__test.trec").read_text().splitlines():
        qid, _, doc, *_ = line.split()
        ranked.setdefault(qid, []).append(doc)
    return ranked


def test_filtered_systems_return_only_matching_documents(run: tuple[dict, Path],
                                                         tmp_path: Path) -> None:
    result, data = run
    coll = load_beir("test", data, "test")
    assert len(coll.filters) == len(coll.queries)
    out = Path(result["suite"]["file"]).parent / "out"
    for system in ("pg-exact", "pg-hnsw", "q-exact"):
        ranked = _trec(out, system)
        for qid, docs in ranked.items():
            assert all(matches(coll.meta[d], coll.filters[qid]) for d in docs), (system, qid)
        details = result["details"][f"retrieval/{system}/test"]
        assert details["filters"] == {"n_queries_filtered": len(coll.queries), "applied": True}
    # the dense embedder ranks the whole collection (a filter is the database's job)
    assert result["details"]["retrieval/kw/test"].get("filters") is None
    kw = _trec(out, "kw")
    assert any(not matches(coll.meta[d], coll.filters[q]) for q, docs in kw.items() for d in docs)


def test_exact_filtered_search_in_the_databases_equals_masked_exact_search(
        run: tuple[dict, Path]) -> None:
    result, _ = run
    for system in ("pg-exact", "q-exact"):
        pipeline = result["details"][f"retrieval/{system}/test"]["pipeline"]
        assert list(pipeline["inputs"]) == ["kw:exact-filtered"]
        ref = pipeline["inputs"]["kw:exact-filtered"]["nDCG@10"]
        mine = next(r["value"] for r in result["metrics"] if r["embedder"] == system
                    and r["metric"] == "nDCG@10")
        assert mine == pytest.approx(ref, abs=1e-6)
        recall = next(r["value"] for r in result["metrics"] if r["embedder"] == system
                      and r["metric"] == "ANN-recall@10")
        assert recall > 0.99  # the hashed n-grams tie, so a few ties may order apart
    # pgvector applies the WHERE clause to the ef_search candidates the HNSW scan found: with
    # ef_search 10 and a filter passing about a third of the corpus, most of the top 10 among
    # the matching documents are never reached (the known loss that filtered recall shows)
    hnsw = next(r["value"] for r in result["metrics"] if r["embedder"] == "pg-hnsw"
                and r["metric"] == "ANN-recall@10")
    assert hnsw < 0.8


def test_exact_filtered_reference_by_hand() -> None:
    docs = np.array([[1, 0], [0.8, 0.6], [0, 1], [0.6, 0.8]], dtype=np.float32)
    meta = [{"lang": "en"}, {"lang": "zh"}, {"lang": "zh"}, {"lang": "en", "year": 2020}]
    queries = np.array([[1, 0], [0, 1]], dtype=np.float32)
    masks = [allowed(meta, {"lang": ["zh"]}), allowed(meta, {"year": ["2020"]})]
    scores, idx = exact_filtered(docs, queries, masks, 3)
    assert idx.tolist() == [[1, 2, -1], [3, -1, -1]]
    assert scores[0, :2] == pytest.approx([0.8, 0.0]) and scores[1, 0] == pytest.approx(0.8)


def test_a_malformed_filter_is_one_line_with_its_line(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = filtered_domain(tmp_path / "domain")
    lines = (data / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    q = json.loads(lines[1])
    q["filter"] = {"domain": {"nested": 1}}
    lines[1] = json.dumps(q, ensure_ascii=False)
    (data / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: f\nembedders:\n  - {{id: m, kind: bm25}}\ndatasets:\n"
                     f"  - {{id: test, path: {data}, split: test}}\ntiers:\n"
                     f"  retrieval: {{metrics: [nDCG@10]}}\n", encoding="utf-8")
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{data / 'queries.jsonl'}:2:" in err[0] and '"filter"' in err[0]
    assert not (tmp_path / "out" / "results.json").exists()


# A deployed table (conftest's `deploy`) searched with filters, read-only: the suite maps the
# `domain` attribute to a text column and `lang` to a key of a jsonb column.
DEPLOYED_COLUMNS = {
    "doc_domain": ("text", lambda d: d["metadata"]["domain"]),
    "extra": ("jsonb", lambda d: Jsonb({"lang": d["metadata"]["lang"]})),
    "year": ("int4", lambda d: 2018 + sum(map(ord, d["_id"])) % 4),
}
EXISTING = ("{{id: pg-ex, kind: pgvector, from: kw, dsn_env: PG_READER_DSN, load: existing, "
            "table: prod_docs, id_column: doc_id, vector_column: emb, latency_queries: 2, "
            "index: hnsw, ef_search: [10], {mapping}}}")
MAPPED = "attribute_columns: {domain: doc_domain}, metadata_column: extra"


def _run_existing(tmp: Path, data: Path, systems: list[str]) -> int:
    listed = "".join(f"\n  - {s}" for s in systems)
    (tmp / "suite.yaml").write_text(
        f"name: existing-filters\nseed: 13\nembedders:\n  - {{id: kw, kind: char-ngram}}"
        f"{listed}\ndatasets:\n  - {{id: test, path: {data}, split: test}}\ntiers:\n"
        "  retrieval: {datasets: [test], metrics: [nDCG@10], top_k: 10}\n", encoding="utf-8")
    return main(["run", str(tmp / "suite.yaml"), "--out", str(tmp / "out"), "--no-cache", "-q"])


@pytest.fixture
def reader(deploy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The deployed table, PG_READER_DSN (a role that may only read it), the plugin, and the
    filtered domain fixture; returns the fixture's folder."""
    monkeypatch.setenv("PG_READER_DSN", deploy("prod_docs", DEPLOYED_COLUMNS))
    install_example_plugin(tmp_path / "site", monkeypatch)
    return filtered_domain(tmp_path / "domain")


def test_a_deployed_table_is_searched_with_filters_read_only(
        reader: Path, tmp_path: Path, admin: Any) -> None:
    before = admin.execute("SELECT count(*), sum(length(emb::text || extra::text)) "
                           "FROM prod_docs").fetchone()
    tables = admin.execute("SELECT count(*) FROM pg_tables").fetchone()
    assert _run_existing(tmp_path, reader, [
        "{id: pg-exact, kind: pgvector, from: kw, dsn: embedded, latency_queries: 2}",
        EXISTING.format(mapping=MAPPED)]) == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    coll = load_beir("test", reader, "test")
    for qid, docs in _trec(tmp_path / "out", "pg-ex").items():
        assert all(matches(coll.meta[d], coll.filters[qid]) for d in docs), qid
    details = result["details"]["retrieval/pg-ex/test"]
    assert details["filters"] == {"n_queries_filtered": len(coll.queries), "applied": True}
    # the database's filtered exact scan scores as exact search among the matching documents
    # computed apart (pg-exact's reference: numpy over the cached vectors)
    scan = details["pipeline"]["inputs"]["pg-ex:exact-scan-filtered"]["nDCG@10"]
    numpy_ref = result["details"]["retrieval/pg-exact/test"]["pipeline"]["inputs"][
        "kw:exact-filtered"]["nDCG@10"]
    assert scan == pytest.approx(numpy_ref, abs=1e-4)
    assert details["pipeline"]["settings"]["attribute_columns"] == {"domain": "doc_domain"}
    # the HNSW index answered (ef_search 10 under a filter passing about a third of the rows
    # loses most of the filtered top 10), not a sequential scan
    recall = next(r["value"] for r in result["metrics"] if r["embedder"] == "pg-ex"
                  and r["metric"] == "ANN-recall@10")
    assert recall < 0.8
    # read-only: the role may only SELECT and the session refuses writes (either would have
    # made the run exit 4), and nothing changed
    assert admin.execute("SELECT count(*), sum(length(emb::text || extra::text)) "
                         "FROM prod_docs").fetchone() == before
    assert admin.execute("SELECT count(*) FROM pg_tables").fetchone() == tables


def test_filtered_exact_scan_of_typed_columns_equals_masked_exact_search(
        reader: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Column values compare as their text (an int4 year as "2019"), jsonb keys as their text,
    so the database's filtered exact scan is filters.exact_filtered over the same vectors."""
    import os

    from embedgate.embedders.base import QueryFilters
    from embedgate.retrievers import pg_sql
    from embedgate.retrievers.db_eval import search_each
    from embedgate.retrievers.pg_server import connect
    from tests.fakes.plugin_example.embedgate_example_plugin import CharNgramEmbedder

    class _Spec:
        id, kind, params = "kw", "char-ngram", {}

    coll = load_beir("test", reader, "test")
    qids = list(coll.queries)
    meta = [{**coll.meta[d], "year": DEPLOYED_COLUMNS["year"][1]({"_id": d})}
            for d in coll.doc_ids]
    extra = [{}, {"year": ["2019", "2021"]}, {"domain": "finance", "lang": "en", "year": 2019},
             {"year": ["1999"]}]  # none, half, a handful, no document
    flts = [normalise({**coll.filters[q], **extra[i % 4]}) for i, q in enumerate(qids)]
    model = CharNgramEmbedder(_Spec(), None)
    docs = model.encode(coll.doc_texts, "passage")
    queries = model.encode([coll.queries[q] for q in qids], "query")
    conn = connect(os.environ["PG_READER_DSN"], "t", read_only=True)
    try:
        layout = pg_sql.Layout(table="prod_docs", id_col="doc_id", vec_col="emb", dim=256,
                               attr_columns=(("domain", "doc_domain"), ("year", "year")),
                               meta_col="extra")
        pg_sql.exact_scan(conn, True)
        found = search_each(pg_sql.searcher(conn, layout, {d: i for i, d in
                                                          enumerate(coll.doc_ids)}),
                            queries, 10, QueryFilters(meta, flts))
    finally:
        conn.close()
    scores, idx = exact_filtered(docs, queries, [allowed(meta, f) for f in flts], 10)
    assert {0, 10} < {int((row >= 0).sum()) for row in idx}  # and some between
    assert (found.idx >= 0).sum() == (idx >= 0).sum()
    np.testing.assert_allclose(found.scores[idx >= 0], scores[idx >= 0], atol=1e-5)
    for q, rows in enumerate(found.idx):
        assert all(matches(meta[r], flts[q]) for r in rows if r >= 0)


def test_the_exact_scan_is_exact_after_the_index_search_was_prepared(reader: Path) -> None:
    """psycopg prepares a statement run 5 times, and the server's cached plan for it would
    keep the HNSW index scan under the exact scan's settings; pgvector's HNSW returns at most
    ef_search rows before the filter, so a reference still using the index returns fewer."""
    import os

    from embedgate.embedders.base import QueryFilters
    from embedgate.retrievers import pg_sql
    from embedgate.retrievers.db_eval import search_each
    from embedgate.retrievers.pg_server import connect

    coll = load_beir("test", reader, "test")
    queries = np.random.default_rng(7).standard_normal((24, 256)).astype(np.float32)
    filters = QueryFilters([coll.meta[d] for d in coll.doc_ids], [{"domain": ["medical"]}] * 24)
    conn = connect(os.environ["PG_READER_DSN"], "t", read_only=True)
    try:
        search = pg_sql.searcher(conn, pg_sql.Layout(
            table="prod_docs", id_col="doc_id", vec_col="emb", dim=256,
            attr_columns=(("domain", "doc_domain"),)), {d: i for i, d in enumerate(coll.doc_ids)})
        pg_sql.set_search(conn, "hnsw", 5)
        assert ((search_each(search, queries, 10, filters).idx >= 0).sum(axis=1) <= 5).all()
        pg_sql.exact_scan(conn, True)
        assert ((search_each(search, queries, 10, filters).idx >= 0).sum(axis=1) == 10).all()
    finally:
        conn.close()


def test_an_unmapped_attribute_is_one_line_before_any_model_or_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    # an unreachable server: reaching it first would be exit 4
    monkeypatch.setenv("PG_READER_DSN", "postgresql://reader@127.0.0.1:1/prod")
    install_example_plugin(tmp_path / "site", monkeypatch)
    data = filtered_domain(tmp_path / "domain")
    system = EXISTING.format(mapping="attribute_columns: {domain: doc_domain}")
    caplog.set_level(logging.INFO, logger="embedgate")
    assert _run_existing(tmp_path, data, [system]) == 2
    line = _one_line(capsys.readouterr().err)
    assert 'attribute "lang"' in line and "attribute_columns: {lang: <its column>}" in line
    assert "suite.yaml:" in line  # the system's own line
    assert "tier retrieval" not in caplog.text  # the run stopped before the first system
    assert not (tmp_path / "out" / "results.json").exists()
    assert _run_existing(tmp_path, data, []) == 0  # (the same run without it goes on)
    assert "tier retrieval: kw" in caplog.text


def test_a_mapped_column_the_table_lacks_is_one_line(
        reader: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = EXISTING.format(mapping="attribute_columns: {domain: doc_domian}, "
                                   "metadata_column: extra")
    assert _run_existing(tmp_path, reader, [typo]) == 2
    line = _one_line(capsys.readouterr().err)
    assert 'attribute_columns: domain: unknown column of table "prod_docs" "doc_domian" ' \
           '(did you mean "doc_domain"?)' in line
    not_json = EXISTING.format(mapping="metadata_column: doc_domain")
    assert _run_existing(tmp_path, reader, [not_json]) == 2
    assert 'column "doc_domain" of table "prod_docs" is text, not jsonb' in _one_line(
        capsys.readouterr().err)


def test_column_mappings_are_checked_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    install_example_plugin(tmp_path / "site", monkeypatch)
    data = filtered_domain(tmp_path / "domain")
    owned = "{id: pg, kind: pgvector, from: kw, dsn: embedded, metadata_column: attrs}"
    assert _run_existing(tmp_path, data, [owned]) == 2
    assert "need load: existing" in _one_line(capsys.readouterr().err)
    bad = EXISTING.format(mapping='attribute_columns: {domain: "x; DROP TABLE t"}')
    assert _run_existing(tmp_path, data, [bad]) == 2
    assert "attribute_columns" in _one_line(capsys.readouterr().err)


def _one_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if "Warning" not in ln
             and "return Path" not in ln]
    assert len(lines) == 1, err
    return lines[0]
