"""Write a BEIR folder in embedgate's other dataset formats, and a suite that loads all four.

    python scripts/beir_formats.py ../shared/datasets/scifact /tmp/scifact-formats [--split test]
    embedgate run /tmp/scifact-formats/formats.yaml     # BM25 on each: the same figures

OUT/hf (MTEB's Hub layout as parquet: corpus/, queries/, default/<split>-…), OUT/table
(docs.csv, questions.csv, judgements.jsonl with their own column names), OUT/trec (SGML topics,
TREC qrels; the corpus is the BEIR corpus.jsonl), OUT/formats.yaml. See docs/interop.md.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

SUITE = """name: {name}-formats
description: one collection in four formats (docs/interop.md), BM25 on each
embedders:
  - {{id: bm25, kind: bm25, latency_queries: 0}}
datasets:
  - {{id: beir, path: {src}, split: {split}}}
  - {{id: hf, format: hf, path: hf, split: {split}}}
  - id: table
    format: table
    corpus: table/docs.csv
    queries: table/questions.csv
    qrels: table/judgements.jsonl
    split: {split}
    columns:
      corpus: {{id: doc, title: heading, text: body}}
      queries: {{id: qid, text: question}}
      qrels: {{query_id: qid, doc_id: doc, score: grade}}
  - id: trec
    format: trec
    corpus: {src}/corpus.jsonl
    topics: trec/topics.txt
    qrels: trec/qrels.txt
    split: {split}
tiers:
  retrieval: {{metrics: [nDCG@10, R@100], top_k: 100}}
"""


def read(src: Path, split: str) -> tuple[list[dict], list[dict], list[tuple[str, str, int]]]:
    def jsonl(path: Path) -> list[dict]:
        return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]

    lines = (src / "qrels" / f"{split}.tsv").read_text(encoding="utf-8").splitlines()[1:]
    qrels = [(q, d, int(s)) for q, d, s in (line.split("\t") for line in lines if line.strip())]
    return jsonl(src / "corpus.jsonl"), jsonl(src / "queries.jsonl"), qrels


def write_hf(out: Path, corpus: list[dict], queries: list[dict],
             qrels: list[tuple[str, str, int]], split: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = {"corpus": [{"_id": d["_id"], "title": d.get("title") or "",
                         "text": d.get("text") or ""} for d in corpus],
             "queries": [{"_id": q["_id"], "text": q.get("text") or ""} for q in queries],
             "default": [{"query-id": q, "corpus-id": d, "score": s} for q, d, s in qrels]}
    for part, rows in parts.items():
        (out / part).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), out / part / f"{split}-00000-of-00001.parquet")


def write_table(out: Path, corpus: list[dict], queries: list[dict],
                qrels: list[tuple[str, str, int]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "docs.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["doc", "heading", "body"]] + [
            [d["_id"], d.get("title") or "", d.get("text") or ""] for d in corpus])
    with (out / "questions.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["qid", "question"]] + [[q["_id"], q.get("text") or ""]
                                                          for q in queries])
    (out / "judgements.jsonl").write_text("".join(
        json.dumps({"qid": q, "doc": d, "grade": s}) + "\n" for q, d, s in qrels))


def write_trec(out: Path, queries: list[dict], qrels: list[tuple[str, str, int]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "topics.txt").write_text("".join(
        f"<top>\n<num> Number: {q['_id']}\n<title> {q.get('text') or ''}\n</top>\n\n"
        for q in queries), encoding="utf-8")
    (out / "qrels.txt").write_text("".join(f"{q} 0 {d} {s}\n" for q, d, s in qrels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="a BEIR folder")
    parser.add_argument("out", type=Path, help="a new folder")
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    src = args.src.resolve()
    corpus, queries, qrels = read(src, args.split)
    write_hf(args.out / "hf", corpus, queries, qrels, args.split)
    write_table(args.out / "table", corpus, queries, qrels)
    write_trec(args.out / "trec", queries, qrels)
    (args.out / "formats.yaml").write_text(SUITE.format(name=src.name, src=src, split=args.split))
    print(args.out / "formats.yaml")


if __name__ == "__main__":
    main()
