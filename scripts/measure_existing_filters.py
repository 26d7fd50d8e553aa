"""Measure filtered search of a deployed pgvector table (`load: existing` + a column mapping).

Re-measure (the filtered copy of the domain fixtures: every query filtered to its domain, a
third of them also to its language, as the filter tests build it):
    export PYTHONPATH=$PWD/bench:$PWD HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
    python -c "from pathlib import Path; from tests.retrievers.test_vector_store_filters \\
        import filtered_domain; filtered_domain(Path('/tmp/domain-filtered'))"
    python scripts/measure_existing_filters.py --data /tmp/domain-filtered --out /tmp/pgf

It plays production first: starts the embedded PostgreSQL, writes the corpus as m3e-small
encodes it into `prod_docs` (`doc_id`, `emb`, a `language` text column, an `attrs` jsonb
column with the other metadata) with an HNSW index (m 8, ef_construction 32), then runs a
suite whose pgvector systems read that table with `load: existing` (the `lang` attribute
mapped to `language`, the others read from `attrs`), beside a `load: suite` exact system whose
reference is exact filtered search computed apart (numpy). Prints one line per system.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

SUITE = """name: existing-filters
seed: 13
embedders:
  - {{id: m3e-small, kind: sentence-transformers, model: packaged:m3e-small,
     max_seq_length: 256, batch_size: 64}}
  - {{id: pg-suite-exact, kind: pgvector, from: m3e-small, dsn: embedded, latency_queries: 8}}
  - id: prod
    kind: pgvector
    from: m3e-small
    dsn_env: PG_PROD_DSN
    load: existing
    table: prod_docs
    id_column: doc_id
    vector_column: emb
    attribute_columns: {{lang: language}}
    metadata_column: attrs
    index: hnsw
    ef_search: {efs}
    latency_queries: 8
datasets:
  - {{id: domain, path: {data}, split: test}}
tiers:
  retrieval: {{datasets: [domain], metrics: [nDCG@10, RR@10], top_k: 10}}
"""


def deploy(dsn: str, suite_path: Path, data: Path) -> None:
    """Write prod_docs as a team's ingest job would (the vectors of the suite's m3e-small)."""
    import numpy as np
    import psycopg
    from pgvector.psycopg import register_vector
    from psycopg.types.json import Jsonb

    from embedgate.embedders.registry import BuildEnv
    from embedgate.inputs.beir import load_beir
    from embedgate.run.catalog import build
    from embedgate.suite import load_suite

    suite = load_suite(suite_path).suite
    spec = next(e for e in suite.embedders if e.id == "m3e-small")
    model = build(spec, BuildEnv(where="deploy", base_dir=suite_path.parent))
    coll = load_beir("domain", data, "test")
    vecs = model.encode(coll.doc_texts, "passage")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        conn.execute(f"CREATE TABLE prod_docs (doc_id text PRIMARY KEY, "
                     f"emb vector({vecs.shape[1]}), language text, attrs jsonb)")
        with conn.cursor().copy("COPY prod_docs FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["text", "vector", "text", "jsonb"])
            for doc, vec in zip(coll.doc_ids, vecs):
                meta = dict(coll.meta.get(doc, {}))
                cp.write_row((doc, np.asarray(vec, dtype=np.float32), meta.pop("lang", None),
                              Jsonb(meta)))
        conn.execute("CREATE INDEX ON prod_docs USING hnsw (emb vector_ip_ops) "
                     "WITH (m = 8, ef_construction = 32)")
        conn.execute("ANALYZE prod_docs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a BEIR folder with filters")
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="pgf-")))
    parser.add_argument("--ef", type=int, nargs="+", default=[10, 40, 100])
    args = parser.parse_args(argv)

    from embedgate.benchmarks.common import report_systems
    from embedgate.cli.entry import main as embedgate
    from embedgate.retrievers.pg_server import embedded_dsn

    args.out.mkdir(parents=True, exist_ok=True)
    suite_path = args.out / "suite.yaml"
    suite_path.write_text(SUITE.format(efs=args.ef, data=args.data.resolve()), encoding="utf-8")
    dsn = embedded_dsn()  # this process's server: the run below reuses it, then it stops
    deploy(dsn, suite_path, args.data)
    os.environ["PG_PROD_DSN"] = dsn
    code = embedgate(["run", str(suite_path), "--out", str(args.out / "run"), "-q"])
    return report_systems(code, args.out / "run", "domain")


if __name__ == "__main__":
    sys.exit(main())
