"""`kind: pgvector`: PostgreSQL + pgvector as the retrieval system a team deploys.

`load: suite`: the source embedder's corpus vectors (from the embedding cache) are copied in
binary, a batch at a time, into a table this system creates and drops afterwards; the index
(`exact`: none, `hnsw`, `ivfflat`) is built, and every query is issued alone through the
client. `load: existing`: a deployed table is only read, in a read-only session; only the
queries are encoded, and the reference is the database's own exact scan (indexes disabled),
with the same WHERE clause when the queries carry metadata filters (pg_filters maps their
attributes to the table's columns).
The reference ranking is the system's input, so the retrieval tier scores both on the same
queries; recall against it is the ANN loss alone.

A connection lost mid-run is exit 4 (the run writes no results); the password never appears.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np

from embedgate.embedders.base import QueryFilters, RankContext, Ranking
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.pool import ResourcePool, shared
from embedgate.retrievers.db_eval import (Searched, build_key, db_info, db_ranking,
                                          exact_reference, search_each, source_embedder)
from embedgate.retrievers.pg_filters import check_columns, require_mapped, require_mapped_keys
from embedgate.retrievers.pg_server import connect, describe, resolve_dsn, scrub
from embedgate.suite import PgvectorSpec, sweep_base

log = logging.getLogger("embedgate")
QUERY_TIME = {"ef_search", "probes", "rerank"}  # a sweep of these shares one table and index


class PgvectorRetriever:
    """A `Retriever` over a PostgreSQL table of the source embedder's vectors."""

    ACCEPTS_FILTERS = True  # queries' metadata filters become WHERE clauses

    def __init__(self, spec: PgvectorSpec, env: BuildEnv) -> None:
        self.spec = spec
        self.where = env.where
        self.source = source_embedder(spec.from_, env, "from")
        settings = _settings(spec)
        self.info = db_info(spec.id, "pgvector", "pgvector", _name(spec), self.source.info,
                            settings)

    @staticmethod
    def check_filter_keys(spec: PgvectorSpec, keys: Sequence[str], where: str) -> None:
        """Before any model runs: a deployed table maps every attribute the queries filter on."""
        require_mapped_keys(spec, keys, where)

    def retrieve(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                 queries: Sequence[str], top_k: int, ctx: RankContext,
                 filters: QueryFilters | None = None) -> Ranking:
        if self.spec.load == "existing" and filters is not None:
            require_mapped(self.spec, filters, self.where)  # before the server is asked
        dsn = resolve_dsn(self.spec.dsn, self.spec.dsn_env, self.where)
        settings = {**self.info.extra, "server": describe(dsn, user=False)}
        if self.spec.load == "existing":
            searched, ref, counts = self._existing(dsn, doc_ids, queries, top_k, ctx, filters)
            scan = "exact-scan-filtered" if filters is not None else "exact-scan"
            reference = (f"{self.spec.id}:{scan}", ref)
        else:
            doc_vecs = ctx.encode(self.source, doc_texts, "passage")
            query_vecs = ctx.encode(self.source, queries, "query")
            key = build_key(self.spec, QUERY_TIME, self.source, doc_ids, doc_texts,
                            filters is not None) + sweep_base(self.spec.id) + dsn
            searched, counts = self._owned(dsn, doc_vecs, query_vecs, top_k, key,
                                           getattr(ctx, "pool", None), filters)
            reference = exact_reference(self.source, doc_ids, doc_texts, queries, doc_vecs,
                                        query_vecs, top_k, ctx, filters)
        return db_ranking(self.spec.id, self.source, queries, searched, reference, counts,
                          settings, self.spec.latency_queries)

    def _owned(self, dsn: str, doc_vecs: np.ndarray, query_vecs: np.ndarray, top_k: int,
               key: str, pool: ResourcePool | None,
               filters: QueryFilters | None = None) -> tuple[Searched, dict[str, float]]:
        """Search a table of the corpus vectors at this system's setting; the table (and its
        index) is built by the first setting of a sweep and dropped after the last."""
        pg_sql = _sql()

        spec = self.spec
        with shared(pool, sweep_base(spec.id), key,
                    lambda: self._build(dsn, doc_vecs, filters), _close) as built:
            with _connection_guard(spec.id, dsn):
                pg_sql.set_search(built.conn, spec.index, _search_value(spec))
                layout = replace(built.layout, rerank=spec.rerank)  # a search-time knob
                searched = search_each(pg_sql.searcher(built.conn, layout), query_vecs, top_k,
                                       filters)
        return searched, dict(built.counts)

    def _build(self, dsn: str, doc_vecs: np.ndarray, filters: QueryFilters | None) -> _Built:
        """Create, fill and index the table; on any failure drop it again."""
        pg_sql = _sql()

        spec = self.spec
        layout = pg_sql.Layout(table=spec.table or pg_sql.unique_table(spec.id),
                               id_col=spec.id_column, vec_col=spec.vector_column,
                               dim=int(doc_vecs.shape[1]), storage=spec.storage,
                               rerank=spec.rerank, attrs=filters is not None)
        built = _Built(connect(dsn, spec.id), layout, {}, spec.id)
        try:
            with _connection_guard(spec.id, dsn):
                pg_sql.create_table(built.conn, layout, spec.replace, self.where)
                built.created = True
                load_s = pg_sql.copy_rows(built.conn, layout, doc_vecs, spec.batch_size,
                                          filters.doc_meta if filters is not None else ())
                build_s = pg_sql.build_index(built.conn, layout, spec.index, _index_params(spec),
                                             spec.build_memory_mb)
                built.counts = {"n_vectors": float(doc_vecs.shape[0]), "load_s": load_s,
                                "build_s": build_s, **pg_sql.sizes(built.conn, layout.table)}
        except BaseException:
            _close(built)
            raise
        log.info("pgvector %s: %d vectors loaded in %.1f s, index built in %.1f s", spec.id,
                 doc_vecs.shape[0], load_s, build_s)
        return built

    def _existing(self, dsn: str, doc_ids: Sequence[str], queries: Sequence[str], top_k: int,
                  ctx: RankContext, filters: QueryFilters | None = None
                  ) -> tuple[Searched, Ranking, dict[str, float]]:
        """Read-only: search the deployed table, then scan it exactly for the reference (each
        query with its filter's WHERE clause in both)."""
        pg_sql = _sql()

        spec = self.spec
        assert spec.table is not None  # the spec requires it for load: existing
        query_vecs = ctx.encode(self.source, queries, "query")
        conn = connect(dsn, spec.id, read_only=True)
        try:
            with _connection_guard(spec.id, dsn):
                dim = pg_sql.column_dim(conn, spec.table, spec.vector_column, self.where)
                if dim != query_vecs.shape[1]:
                    raise InputError(f'{self.where}: column {spec.table}.{spec.vector_column} '
                                     f"holds {dim}-d vectors but {spec.from_} encodes "
                                     f"{query_vecs.shape[1]}-d queries; name the embedder "
                                     "that wrote the table")
                if filters is not None:
                    check_columns(conn, spec, self.where)
                layout = pg_sql.Layout(table=spec.table, id_col=spec.id_column,
                                       vec_col=spec.vector_column, dim=dim,
                                       attr_columns=tuple(spec.attribute_columns.items()),
                                       meta_col=spec.metadata_column)
                search = pg_sql.searcher(conn, layout, {d: i for i, d in enumerate(doc_ids)})
                pg_sql.set_search(conn, spec.index, _search_value(spec))
                searched = search_each(search, query_vecs, top_k, filters)
                pg_sql.exact_scan(conn, True)
                exact = search_each(search, query_vecs, top_k, filters)
        finally:
            conn.close()
        return searched, Ranking(exact.scores, exact.idx), {"n_queries": float(len(queries))}


def _sql() -> ModuleType:
    """pg_sql imports psycopg (0.6 s): only a suite with a pgvector system pays it, not every
    run through the catalog."""
    from embedgate.retrievers import pg_sql

    return pg_sql


@contextmanager
def _connection_guard(system_id: str, dsn: str) -> Iterator[None]:
    """Turns a connection lost mid-run (or a refused statement) into one line and exit 4;
    the run then writes no results."""
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:
        raise InfraError(f"pgvector {system_id}: lost the connection to {describe(dsn)} "
                         f"mid-run: {scrub(str(exc), dsn)}") from None
    except psycopg.Error as exc:
        raise InfraError(f"pgvector {system_id}: {describe(dsn)} refused a statement: "
                         f"{scrub(str(exc), dsn)}") from None


@dataclass
class _Built:
    """A table this run created (with its index) and the connection that searches it."""

    conn: Any
    layout: Any  # pg_sql.Layout
    counts: dict[str, float]
    system_id: str
    created: bool = False


def _close(built: _Built) -> None:
    if built.created:
        _drop_quietly(built.conn, built.layout.table, built.system_id)
    built.conn.close()


def _drop_quietly(conn: Any, table: str, system_id: str) -> None:
    pg_sql = _sql()

    try:
        pg_sql.drop(conn, table)
    except Exception as exc:  # the connection may be gone: say which table is left behind
        log.warning("pgvector %s: could not drop table %s (%s); drop it by hand", system_id,
                    table, type(exc).__name__)


def _index_params(spec: PgvectorSpec) -> dict[str, int]:
    if spec.index == "hnsw":
        return {"m": spec.m, "ef_construction": spec.ef_construction}
    return {"lists": spec.lists} if spec.index == "ivfflat" else {}


def _search_value(spec: PgvectorSpec) -> int:
    return spec.ef_search[0] if spec.index == "hnsw" else spec.probes[0]


def _settings(spec: PgvectorSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "pgvector", "from": spec.from_, "load": spec.load,
                           "dsn": "embedded" if spec.dsn else f"${spec.dsn_env}",
                           "index": spec.index, "storage": spec.storage}
    if spec.index == "hnsw":
        out.update(m=spec.m, ef_construction=spec.ef_construction, ef_search=spec.ef_search[0])
    elif spec.index == "ivfflat":
        out.update(lists=spec.lists, probes=spec.probes[0])
    if spec.index != "exact" and "build_memory_mb" in spec.model_fields_set:
        out["build_memory_mb"] = spec.build_memory_mb  # build time only: not in the default
    if spec.storage == "bit":
        out["rerank"] = spec.rerank
    if spec.load == "existing":
        out.update(table=spec.table, id_column=spec.id_column, vector_column=spec.vector_column)
        if spec.attribute_columns:
            out["attribute_columns"] = dict(spec.attribute_columns)
        if spec.metadata_column is not None:
            out["metadata_column"] = spec.metadata_column
    if spec.noninferiority is not None:
        out["noninferiority"] = spec.noninferiority.model_dump(mode="json")
    return out


def _name(spec: PgvectorSpec) -> str:
    knob = {"hnsw": f" ef_search={spec.ef_search[0]}",
            "ivfflat": f" probes={spec.probes[0]}"}.get(spec.index, "")
    return f"pgvector {spec.index}{knob} ({spec.storage}) over {spec.from_}"
