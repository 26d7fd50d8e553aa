"""Session fixtures of the retrieval-system tests: one cache folder for the slow ones (the
fixtures' cross-encoder recipe is trained once per session), one embedded PostgreSQL, and a
table written there as production would write it (read by a role that may only read)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def pipelines_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipelines-cache")


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """The run's embedded PostgreSQL (started by embedgate's own code), once per session: every
    pgvector system of every test shares it, as the systems of one run do."""
    from embedgate.retrievers.pg_server import embedded_dsn, stop_embedded

    yield embedded_dsn()
    stop_embedded()


@pytest.fixture
def admin(pg_dsn: str) -> Iterator[Any]:
    """A superuser connection to the embedded server (autocommit): production's writer."""
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture
def deploy(admin: Any, pg_dsn: str) -> Iterator[Callable[..., str]]:
    """Writes a table as production would: the domain fixture's corpus as the char-n-gram
    model encodes it (`doc_id text`, `emb vector(256)`, an HNSW index), plus metadata columns
    `{name: (sql type, value of a corpus.jsonl row)}`, readable by a role `reader` that may do
    nothing else; returns that role's DSN. The tables and the role are dropped afterwards."""
    import json

    import numpy as np
    from pgvector.psycopg import register_vector
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from tests.conftest import FIXTURES
    from tests.fakes.plugin_example.embedgate_example_plugin import CharNgramEmbedder

    class _Spec:
        id, kind, params = "kw", "char-ngram", {}

    docs = [json.loads(line) for line in
            (FIXTURES / "domain" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    vecs = CharNgramEmbedder(_Spec(), None).encode(
        [(d.get("title", "") + " " + d["text"]).strip() for d in docs], "passage")
    admin.execute("CREATE EXTENSION IF NOT EXISTS vector")  # as the team set it up
    register_vector(admin)
    admin.execute("CREATE ROLE reader LOGIN")
    made: list[str] = []

    def write(table: str, columns: dict[str, tuple[str, Callable[[dict], Any]]] | None = None
              ) -> str:
        cols = columns or {}
        extra = "".join(f", {name} {tp}" for name, (tp, _) in cols.items())
        admin.execute(f"CREATE TABLE {table} (doc_id text PRIMARY KEY, emb vector(256){extra})")
        made.append(table)
        names = ", ".join(["doc_id", "emb", *cols])
        with admin.cursor().copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["text", "vector", *(tp for tp, _ in cols.values())])
            for d, v in zip(docs, vecs):
                cp.write_row((d["_id"], np.asarray(v, dtype=np.float32),
                              *(value(d) for _, value in cols.values())))
        admin.execute(f"CREATE INDEX ON {table} USING hnsw (emb vector_ip_ops)")
        admin.execute(f"GRANT SELECT ON {table} TO reader")
        return make_conninfo(**{**conninfo_to_dict(pg_dsn), "user": "reader"})

    try:
        yield write
    finally:
        for table in made:
            admin.execute(f"DROP TABLE IF EXISTS {table}")
        admin.execute("DROP ROLE IF EXISTS reader")
