"""Dataset formats besides BEIR folders: each loads the domain fixtures re-written in its shape
and gives the BEIR loader's collection, counts and metrics; bad input is one line naming
the file and line (or row), exit 2."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from embedgate.cli.entry import main
from embedgate.infra.errors import InputError
from embedgate.inputs.beir import Collection, load_beir
from embedgate.inputs.hf_data import load_hf
from embedgate.inputs.records import Columns
from embedgate.inputs.table_data import load_table
from embedgate.inputs.trec_data import load_trec, read_topics
from embedgate.run.runner import load_datasets
from embedgate.suite import load_suite
from tests.helpers.formats import (DOMAIN, keyword_metrics, write_hf_parquet, write_hf_saved,
                                   write_table, write_trec)

TABLE_COLS = Columns(doc_id="DocID", doc_text="Body", doc_title="Heading", query_id="qid",
                     query_text="question", qrels_query_id="q", qrels_doc_id="d",
                     qrels_score="rel")


@pytest.fixture(scope="module")
def beir() -> Collection:
    return load_beir("domain", DOMAIN, "test")


@pytest.fixture(scope="module")
def beir_metrics(beir: Collection) -> dict[str, float]:
    return keyword_metrics(beir)


def same_as_beir(coll: Collection, beir: Collection, beir_metrics: dict[str, float]) -> None:
    assert coll.doc_ids == beir.doc_ids and coll.doc_texts == beir.doc_texts
    assert coll.queries == beir.queries and coll.qrels == beir.qrels
    assert coll.stats == beir.stats
    assert keyword_metrics(coll) == beir_metrics


def test_table_files_with_a_column_mapping(tmp_path: Path, beir: Collection,
                                           beir_metrics: dict[str, float]) -> None:
    files = write_table(tmp_path)
    coll = load_table("domain", files["corpus"], files["queries"], files["qrels"], "test",
                      TABLE_COLS)
    same_as_beir(coll, beir, beir_metrics)
    assert coll.sha256 != beir.sha256  # other bytes: another hash


def test_the_beir_files_read_as_a_table_hash_the_same(beir: Collection,
                                                      beir_metrics: dict[str, float]) -> None:
    coll = load_table("domain", DOMAIN / "corpus.jsonl", DOMAIN / "queries.jsonl",
                      DOMAIN / "qrels" / "test.tsv", "test", Columns())
    same_as_beir(coll, beir, beir_metrics)
    assert coll.sha256 == beir.sha256 and coll.meta == beir.meta


def test_trec_topics_and_qrels(tmp_path: Path, beir: Collection,
                               beir_metrics: dict[str, float]) -> None:
    files = write_trec(tmp_path)
    coll = load_trec("domain", files["corpus"], files["topics"], files["qrels"], "test", Columns())
    same_as_beir(coll, beir, beir_metrics)
    first = next(iter(beir.queries))
    assert read_topics(files["topics"], "description")[first] == f"about {first}"


def test_xml_and_tsv_topics(tmp_path: Path) -> None:
    xml = tmp_path / "topics.xml"
    xml.write_text('<topics><topic number="1"><query>coronavirus origin</query>'
                   "<question>where did it start?</question></topic></topics>")
    assert read_topics(xml) == {"1": "coronavirus origin"}
    assert read_topics(xml, "description") == {"1": "where did it start?"}
    tsv = tmp_path / "topics.tsv"
    tsv.write_text("301\tinternational organized crime\n302\tpoliomyelitis\n")
    assert read_topics(tsv) == {"301": "international organized crime", "302": "poliomyelitis"}


@pytest.mark.parametrize("writer", [write_hf_parquet, write_hf_saved], ids=["parquet", "saved"])
def test_hf_dataset_saved_locally(tmp_path: Path, beir: Collection, beir_metrics: dict[str, float],
                                  writer: Callable[[Path], Path]) -> None:
    coll = load_hf("domain", writer(tmp_path / "ds"), "test", Columns())
    same_as_beir(coll, beir, beir_metrics)  # the train split's extra judgement is not read


def test_hf_parts_as_arrow_files(tmp_path: Path, beir: Collection,
                                 beir_metrics: dict[str, float]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = write_hf_parquet(tmp_path / "ds")
    for part in ("corpus", "queries"):  # the arrow IPC stream format datasets writes
        parquet = root / part / "test-00000-of-00001.parquet"
        table = pq.read_table(parquet)
        with pa.OSFile(str(parquet.with_suffix(".arrow")), "wb") as sink:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
        parquet.unlink()
    same_as_beir(load_hf("domain", root, "test", Columns()), beir, beir_metrics)


def test_a_suite_selects_the_loader_by_format(tmp_path: Path, beir: Collection,
                                              write_suite: Callable[[str], Path]) -> None:
    write_table(tmp_path / "t")
    write_hf_parquet(tmp_path / "hf")
    suite = write_suite(f"""
name: formats
embedders: [{{id: m, kind: sentence-transformers, model: packaged:all-MiniLM-L6-v2}}]
datasets:
  - {{id: beir, path: {DOMAIN}}}
  - id: table
    format: table
    corpus: t/corpus.csv
    queries: t/queries.tsv
    qrels: t/qrels.jsonl
    columns:
      corpus: {{id: DocID, text: Body, title: Heading}}
      queries: {{id: qid, text: question}}
      qrels: {{query_id: q, doc_id: d, score: rel}}
  - {{id: hf, format: hf, path: hf}}
tiers: {{retrieval: {{}}}}
""")
    loaded = load_datasets(load_suite(suite))
    assert list(loaded) == ["beir", "table", "hf"]
    assert all(c.qrels == beir.qrels for c in loaded.values())


def _bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], dataset: str) -> str:
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: bad
embedders: [{{id: m, kind: sentence-transformers, model: packaged:all-MiniLM-L6-v2}}]
datasets:
  - {dataset}
tiers: {{retrieval: {{}}}}
""", encoding="utf-8")
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "suite.yaml:4" in err
    return err


def test_a_missing_column_names_the_file_and_the_setting(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = write_table(tmp_path)
    err = _bad(tmp_path, capsys, "{id: t, format: table, corpus: corpus.csv, "
               "queries: queries.tsv, qrels: qrels.jsonl}")
    assert f'{files["corpus"]}:1: no "_id" column' in err and "columns.corpus" in err


def test_a_parquet_of_another_shape_names_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = write_hf_parquet(tmp_path / "ds")
    part = root / "queries" / "test-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist([{"question": "x", "qid": 1}]), part)
    err = _bad(tmp_path, capsys, "{id: h, format: hf, path: ds}")
    assert f'{part}: no "_id" column (columns: question, qid)' in err
    assert "columns.queries.id" in err


def test_bad_values_name_the_row_or_line(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = write_hf_parquet(tmp_path / "ds")
    qrels = root / "default" / "test-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist([{"query-id": "q", "corpus-id": "d", "score": 1},
                                         {"query-id": "q", "corpus-id": "d", "score": 0.5}]), qrels)
    with pytest.raises(InputError, match=rf"{qrels} row 2: \"score\" 0.5 is not a whole number"):
        load_hf("h", root, "test", Columns())
    files = write_table(tmp_path / "t")
    with files["qrels"].open("a") as fh:
        fh.write(json.dumps({"q": "x", "rel": 1}) + "\n")
    n = len(files["qrels"].read_text().splitlines())
    with pytest.raises(InputError, match=rf'{files["qrels"]}:{n}: no "d" column'):
        load_table("t", files["corpus"], files["queries"], files["qrels"], "test", TABLE_COLS)
    topics = tmp_path / "topics.txt"
    topics.write_text("<top>\n<title> no number\n</top>\n")
    with pytest.raises(InputError, match=rf"{topics}:1: topic without <num>"):
        read_topics(topics)
