"""`embedgate bench vector-stores` at a tiny size: both engines report every setting, the
pgvector ingest streams from the memmap, and the suite-vs-bare ratio line is printed."""
from __future__ import annotations

import re

import pytest

from embedgate.cli.entry import main


def test_vector_store_benchmark_reports_every_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "vector-stores", "--n", "1500", "--dim", "32", "--queries", "20",
                 "--ef-search", "10,100", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    rows = [ln.split() for ln in out.splitlines() if ln.startswith(
        ("faiss ", "pgvector ", "qdrant ")) and ln.split()[1] in ("IndexFlatIP", "HNSW")]
    assert [r[0] for r in rows] == ["faiss"] * 3 + ["pgvector"] * 2 + ["qdrant"] * 2
    qdrant = rows[5:]
    # recall, and an index that holds the vectors (as faiss's and pgvector's HNSW indexes do)
    assert all(float(r[-3]) > 0.5 and float(r[7]) > 1500 * 32 * 4 / 2**20 for r in qdrant)
    exact = rows[0]
    assert exact[1] == "IndexFlatIP" and float(exact[-3]) == 1.0  # exact is its own truth
    recall = [float(r[-3]) for r in rows[3:5]]
    assert 0.0 < recall[0] <= recall[1] <= 1.0  # a wider beam finds more of the true top k
    ratio = re.search(r"ratio ([0-9.]+)x", out)
    assert ratio is not None and float(ratio.group(1)) > 0
    assert re.search(r"anonymous memory [0-9]+ -> [0-9]+ MiB", out)  # (the real check:
    # tests/retrievers/test_vector_stores.py, at a corpus size where a copy would show)


def test_the_engines_can_be_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "vector-stores", "--n", "500", "--dim", "8", "--queries", "5",
                 "--ef-search", "10", "--rounds", "1", "--engines", "qdrant"]) == 0
    out = capsys.readouterr().out
    engines = {ln.split()[0] for ln in out.splitlines() if " HNSW " in ln or "IndexFlat" in ln}
    assert engines == {"qdrant"} and "ratio" not in out
    assert main(["bench", "vector-stores", "--engines", "milvus"]) == 2
