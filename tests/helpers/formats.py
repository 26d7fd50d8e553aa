"""Writers for the dataset-format tests: the domain fixtures (BEIR) re-written as tables, TREC
files and a locally saved MTEB / HF dataset, and a metric that needs no model."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from embedgate.algorithms.ir import mean, parse_metric, per_query
from embedgate.algorithms.search import exact_search, to_run
from embedgate.inputs.beir import Collection, iter_jsonl, load_qrels
from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder

DOMAIN = FIXTURES / "domain"


def beir_rows(root: Path = DOMAIN) -> tuple[list[dict], list[dict], list[tuple[str, str, int]]]:
    corpus = [obj for _, obj in iter_jsonl(root / "corpus.jsonl")]
    queries = [obj for _, obj in iter_jsonl(root / "queries.jsonl")]
    qrels = [(q, d, r) for _, q, d, r in load_qrels(root / "qrels" / "test.tsv")]
    return corpus, queries, qrels


def write_table(root: Path) -> dict[str, Path]:
    """corpus.csv (DocID, Heading, Body), queries.tsv (qid, question), qrels.jsonl (q, d, rel)."""
    corpus, queries, qrels = beir_rows()
    root.mkdir(parents=True, exist_ok=True)
    with (root / "corpus.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["DocID", "Heading", "Body"])
        writer.writerows([d["_id"], d.get("title", ""), d["text"]] for d in corpus)
    lines = ["qid\tquestion"] + [f"{q['_id']}\t{q['text']}" for q in queries]
    (root / "queries.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "qrels.jsonl").write_text("".join(json.dumps({"q": q, "d": d, "rel": r}) + "\n"
                                              for q, d, r in qrels), encoding="utf-8")
    return {"corpus": root / "corpus.csv", "queries": root / "queries.tsv",
            "qrels": root / "qrels.jsonl"}


def write_trec(root: Path) -> dict[str, Path]:
    """corpus.jsonl (BEIR's), SGML topics (the query text as <title>), TREC 4-column qrels."""
    corpus, queries, qrels = beir_rows()
    root.mkdir(parents=True, exist_ok=True)
    (root / "corpus.jsonl").write_bytes((DOMAIN / "corpus.jsonl").read_bytes())
    topics = [f"<top>\n<num> Number: {q['_id']}\n<title> {q['text']}\n<desc> Description:\n"
              f"about {q['_id']}\n</top>\n" for q in queries]
    (root / "topics.txt").write_text("\n".join(topics), encoding="utf-8")
    (root / "qrels.txt").write_text("".join(f"{q} 0 {d} {r}\n" for q, d, r in qrels))
    return {"corpus": root / "corpus.jsonl", "topics": root / "topics.txt",
            "qrels": root / "qrels.txt"}


def write_hf_parquet(root: Path) -> Path:
    """MTEB's Hub layout: corpus/, queries/, default/ (test and train qrels) as parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus, queries, qrels = beir_rows()
    parts = {
        "corpus/test-00000-of-00001.parquet": [
            {"_id": d["_id"], "title": d.get("title", ""), "text": d["text"]} for d in corpus],
        "queries/test-00000-of-00001.parquet": [
            {"_id": q["_id"], "text": q["text"]} for q in queries],
        "default/test-00000-of-00001.parquet": [
            {"query-id": q, "corpus-id": d, "score": r} for q, d, r in qrels],
        "default/train-00000-of-00001.parquet": [  # another split: must not be read
            {"query-id": "med-q-test-001", "corpus-id": "med-0002", "score": 1}]}
    for rel, rows in parts.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), root / rel)
    return root


def write_hf_saved(root: Path) -> Path:
    """The same as `datasets.save_to_disk` folders; qrels as a DatasetDict with two splits."""
    import datasets

    corpus, queries, qrels = beir_rows()
    datasets.Dataset.from_list([{"_id": d["_id"], "title": d.get("title", ""),
                                 "text": d["text"]} for d in corpus]).save_to_disk(root / "corpus")
    datasets.DatasetDict({"queries": datasets.Dataset.from_list(
        [{"_id": q["_id"], "text": q["text"]} for q in queries])}).save_to_disk(root / "queries")
    rows = [{"query-id": q, "corpus-id": d, "score": r} for q, d, r in qrels]
    splits = {"test": rows, "train": rows[:1]}
    datasets.DatasetDict({k: datasets.Dataset.from_list(v)
                          for k, v in splits.items()}).save_to_disk(root / "qrels")
    return root


def keyword_metrics(coll: Collection) -> dict[str, float]:
    """nDCG@10 and R@100 of the keyword embedder: a real ranking, no model."""
    emb = KeywordEmbedder(dim=256)
    qids = list(coll.queries)
    scores, idx = exact_search(emb.encode(coll.doc_texts, "passage"),
                               emb.encode([coll.queries[q] for q in qids], "query"), 100)
    run = to_run(qids, coll.doc_ids, scores, idx)
    values = per_query([parse_metric("nDCG@10"), parse_metric("R@100")], coll.qrels, run)
    return {name: mean(v) for name, v in values.items()}
