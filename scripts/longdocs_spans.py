"""Regenerates fixtures/longdocs/clause_qrels.tsv from the fixture's own files.

    python scripts/longdocs_spans.py            # rewrite clause_qrels.tsv
    python scripts/longdocs_spans.py --check    # exit 1 when the file on disk differs

For every (query, document) pair in qrels/test.tsv the span runs from the heading of the
clause named by the query's `metadata.clause` ("Article N <name>." / "第X条 <name>　") to the
end of that clause's line (the next heading's line break, or the end of the document).
Offsets are into title + " " + text, as the retrieval tier searches it. Deterministic.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "longdocs"
HEADING = re.compile(r"^(?:Article \d+ (?P<en>[^.\n]+)\.|第[一二三四五六七八九十百]+条 (?P<zh>[^\u3000\n]+)\u3000)",
                     re.MULTILINE)


def spans() -> str:
    docs = {}
    for line in (DATA / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        docs[d["_id"]] = f"{d['title']} {d['text']}"
    clause = {}
    for line in (DATA / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        clause[q["_id"]] = q["metadata"]["clause"]
    rows = ["query-id\tcorpus-id\tchar-start\tchar-end"]
    for line in (DATA / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, doc, _ = line.split("\t")
        text = docs[doc]
        heads = list(HEADING.finditer(text))
        [i] = [k for k, m in enumerate(heads) if (m["en"] or m["zh"]) == clause[qid]]
        end = heads[i + 1].start() - 1 if i + 1 < len(heads) else len(text)
        rows.append(f"{qid}\t{doc}\t{heads[i].start()}\t{end}")
    return "\n".join(rows) + "\n"


def main() -> int:
    path = DATA / "clause_qrels.tsv"
    new = spans()
    if "--check" in sys.argv[1:]:
        same = path.read_text(encoding="utf-8") == new
        print("clause_qrels.tsv is up to date" if same else "clause_qrels.tsv differs")
        return 0 if same else 1
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
