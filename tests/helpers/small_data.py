"""A small slice of the domain fixtures, for tests that run real models more than once."""
from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES, write_beir


def small_domain(root: Path, n_docs: int = 40) -> Path:
    """The first `n_docs` documents of the domain fixtures and the test queries judged on them."""
    src = FIXTURES / "domain"
    corpus = [json.loads(x) for x in
              (src / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:n_docs]]
    ids = {d["_id"] for d in corpus}
    rows = [r.split("\t") for r in
            (src / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:] if r.strip()]
    qrels = [(q, d, int(s)) for q, d, s in rows if d in ids]
    judged = {q for q, _, _ in qrels}
    queries = [q for q in (json.loads(x) for x in
                           (src / "queries.jsonl").read_text(encoding="utf-8").splitlines())
               if q["_id"] in judged]
    return write_beir(root, corpus, queries, qrels)
