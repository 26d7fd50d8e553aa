"""The SQL a pgvector system issues: its own table (create, binary COPY, index, sizes, drop)
and the per-query search, for each storage (`vector`, `halfvec`, `bit` + re-rank).

Identifiers go through psycopg.sql (never string formatting); inner product is pgvector's
`<#>` (negative inner product, ascending), so a score is its negation: the cosine of
L2-normalised vectors, as faiss reports it.
"""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg import sql

from embedgate.infra.errors import InputError
from embedgate.algorithms.filters import Filter, as_text
from embedgate.retrievers.db_eval import SearchFn, batches

log = logging.getLogger("embedgate")

_OPS = {"vector": "vector_ip_ops", "halfvec": "halfvec_ip_ops", "bit": "bit_hamming_ops"}


@dataclass(frozen=True)
class Layout:
    """Where the vectors live and how they are stored."""

    table: str
    id_col: str
    vec_col: str
    dim: int
    storage: str = "vector"  # vector | halfvec | bit (full vectors kept, codes indexed)
    rerank: int = 4
    attrs: bool = False  # a jsonb column of document metadata that query filters test
    # a deployed table's: attribute -> its column, and the jsonb column holding the others
    attr_columns: tuple[tuple[str, str], ...] = ()
    meta_col: str | None = None

    @property
    def ident(self) -> sql.Composable:
        return sql.Identifier(self.table)

    def indexed(self) -> sql.Composable:
        """The expression an index is built on and the first pass orders by."""
        col = sql.Identifier(self.vec_col)
        if self.storage == "bit":
            return sql.SQL("(binary_quantize({})::bit({}))").format(col, sql.Literal(self.dim))
        return col


def unique_table(system_id: str) -> str:
    """embedgate_<id>_<8 hex>: a name no other run or system picks."""
    stem = "".join(c if c.isalnum() else "_" for c in system_id.lower())[:40]
    return f"embedgate_{stem}_{secrets.token_hex(4)}"


def table_exists(conn: Any, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]


def create_table(conn: Any, layout: Layout, replace: bool, where: str) -> None:
    """Create the system's table; an existing one of the name is refused unless `replace`."""
    if table_exists(conn, layout.table):
        if not replace:
            raise InputError(f'{where}: table "{layout.table}" already exists; embedgate never '
                             "overwrites a table it did not create: name another table or set "
                             "replace: true")
        drop(conn, layout.table)
    column_type = "halfvec" if layout.storage == "halfvec" else "vector"
    conn.execute(sql.SQL("CREATE TABLE {} ({} int4 PRIMARY KEY, {} {}({}){})").format(
        layout.ident, sql.Identifier(layout.id_col), sql.Identifier(layout.vec_col),
        sql.SQL(column_type), sql.Literal(layout.dim),
        sql.SQL(", attrs jsonb" if layout.attrs else "")))


def copy_rows(conn: Any, layout: Layout, vectors: np.ndarray, batch: int,
              metas: Sequence[dict[str, Any]] = ()) -> float:
    """Binary COPY of every row (id = row number; with `layout.attrs` its metadata as text
    values), one batch in memory at a time; seconds."""
    from pgvector import HalfVector
    from psycopg.types.json import Jsonb

    t0 = time.perf_counter()
    column_type = "halfvec" if layout.storage == "halfvec" else "vector"
    cols = [sql.Identifier(layout.id_col), sql.Identifier(layout.vec_col)]
    cols += [sql.Identifier("attrs")] if layout.attrs else []
    stmt = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT BINARY)").format(
        layout.ident, sql.SQL(", ").join(cols))
    with conn.cursor().copy(stmt) as copy:
        copy.set_types(["int4", column_type] + (["jsonb"] if layout.attrs else []))
        for start, rows in batches(vectors, batch):
            for i, row in enumerate(rows):
                vec = HalfVector(row) if column_type == "halfvec" else row
                attrs = ([Jsonb({k: as_text(v) for k, v in metas[start + i].items()})]
                         if layout.attrs else [])
                copy.write_row((start + i, vec, *attrs))
    return time.perf_counter() - t0


def build_index(conn: Any, layout: Layout, index: str, params: dict[str, int],
                memory_mb: int = 1024) -> float:
    """Build the index (`exact`: none) with `memory_mb` of maintenance_work_mem and refresh the
    planner's statistics; seconds."""
    t0 = time.perf_counter()
    if index != "exact":
        with_ = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.SQL(k), sql.Literal(v))
                                   for k, v in params.items())
        # an HNSW graph that fits in maintenance_work_mem is built in memory; one that does not
        # spills to the index pages (pgvector logs a notice) and builds several times slower
        conn.execute(sql.SQL("SET maintenance_work_mem = {}").format(
            sql.Literal(f"{int(memory_mb)}MB")))
        with _spill_warning(conn, layout.table, memory_mb):
            conn.execute(sql.SQL("CREATE INDEX ON {} USING {} ({} {}) WITH ({})").format(
                layout.ident, sql.SQL(index), layout.indexed(), sql.SQL(_OPS[layout.storage]),
                with_))
    conn.execute(sql.SQL("ANALYZE {}").format(layout.ident))
    return time.perf_counter() - t0


@contextmanager
def _spill_warning(conn: Any, table: str, memory_mb: int) -> Iterator[None]:
    """pgvector says in a NOTICE when the HNSW graph outgrows maintenance_work_mem: pass it on
    as a warning with what to do (the build goes on, several times slower)."""
    spilled: list[str] = []

    def relay(diag: Any) -> None:
        if "maintenance_work_mem" in (diag.message_primary or ""):
            spilled.append(str(diag.message_primary))

    conn.add_notice_handler(relay)
    try:
        yield
    finally:
        conn.remove_notice_handler(relay)
    if spilled:
        log.warning("%s: %s; the build spilled out of memory (%d MB) and runs several times "
                    "slower: raise build_memory_mb (1M x 384-d here: 247 s with 4096 MB, "
                    "1,280 s with 1024)", table, spilled[0], memory_mb)


def sizes(conn: Any, table: str) -> dict[str, float]:
    """Bytes of the table (with TOAST) and of its vector indexes (the primary key excluded)."""
    total = conn.execute("SELECT pg_table_size(%s::regclass)", (table,)).fetchone()[0]
    index = conn.execute(
        "SELECT coalesce(sum(pg_relation_size(i.indexrelid)), 0) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary", (table,)).fetchone()[0]
    return {"table_bytes": float(total), "index_bytes": float(index)}


def drop(conn: Any, table: str) -> None:
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


def set_search(conn: Any, index: str, value: int) -> None:
    """The session's ef_search (HNSW) or probes (IVFFlat); with an index, the planner may not
    prefer a sequential scan (on a small table it would, and judge exact search instead)."""
    name = {"hnsw": "hnsw.ef_search", "ivfflat": "ivfflat.probes"}.get(index)
    if name is not None:
        conn.execute(sql.SQL("SET {} = {}").format(sql.SQL(name), sql.Literal(value)))
        conn.execute("SET enable_seqscan = off")


def exact_scan(conn: Any, on: bool) -> None:
    """Make the planner ignore vector indexes (a sequential scan: exact search) or not."""
    for name, value in (("enable_indexscan", not on), ("enable_bitmapscan", not on),
                        ("enable_seqscan", on)):
        conn.execute(sql.SQL("SET {} = {}").format(sql.SQL(name),
                                                   sql.SQL("on" if value else "off")))
    # psycopg prepares a statement run 5 times, and a prepared statement's cached generic plan
    # keeps the index scan it was planned with whatever the settings say later: the exact scan
    # after an HNSW search would silently be the HNSW search again. Unprepared, every query is
    # planned under the settings now in force.
    conn.prepare_threshold = None if on else 5


def column_dim(conn: Any, table: str, column: str, where: str) -> int:
    """The declared dimension of a deployed table's vector column (exit 2 when absent)."""
    row = conn.execute(
        "SELECT a.atttypmod, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass(%s) AND a.attname = %s AND NOT a.attisdropped",
        (table, column)).fetchone()
    if row is None:
        raise InputError(f'{where}: table "{table}" has no column "{column}" (or does not '
                         "exist, or this role cannot see it)")
    return int(row[0])


def searcher(conn: Any, layout: Layout, doc_rows: dict[str, int] | None = None) -> SearchFn:
    """The per-query search (with a metadata filter: among matching rows only, as the
    database applies it); `doc_rows` maps a deployed table's ids to collection rows (ids the
    collection lacks are skipped), otherwise the id is the row."""
    cast = "halfvec" if layout.storage == "halfvec" else None

    def search(vec: np.ndarray, k: int, flt: Filter | None = None) -> Sequence[tuple[int, float]]:
        q: Any = vec
        if cast:
            from pgvector import HalfVector
            q = HalfVector(vec)
        keys = tuple(flt or ())
        values = {f"fk{i}": key for i, key in enumerate(keys)}
        values.update({f"fv{i}": (flt or {})[key] for i, key in enumerate(keys)})
        rows = conn.execute(search_sql(layout, keys),
                            {"q": q, "k": k, "n": k * layout.rerank, **values}).fetchall()
        if doc_rows is None:
            return [(int(i), -float(d)) for i, d in rows]
        return [(doc_rows[str(i)], -float(d)) for i, d in rows if str(i) in doc_rows]

    return search


def search_sql(layout: Layout, keys: Sequence[str] = ()) -> sql.Composable:
    """One query's statement (parameters q, k and n = k x rerank; with filter `keys`,
    fk<i> / fv<i>: attribute i's name and its accepted texts). The filter is a WHERE clause,
    so an HNSW scan applies it to the ef_search candidates it found (the recall loss of
    selective filters that filtered recall measures)."""
    col, ident = sql.Identifier(layout.vec_col), sql.Identifier(layout.id_col)
    where = sql.SQL("") if not keys else sql.SQL(" WHERE ") + sql.SQL(" AND ").join(
        sql.SQL("{} = ANY(%(fv{})s)").format(attr_expr(layout, key, i), sql.SQL(str(i)))
        for i, key in enumerate(keys))
    if layout.storage == "bit":
        # Hamming distance over the binary codes picks k x rerank candidates (the index's
        # work); their full vectors decide the final order.
        return sql.SQL(
            "SELECT c.{i}, c.{v} <#> %(q)s AS d FROM (SELECT {i}, {v} FROM {t}{w} ORDER BY "
            "{e} <~> binary_quantize(%(q)s) LIMIT %(n)s) c ORDER BY d LIMIT %(k)s").format(
            i=ident, v=col, t=layout.ident, e=layout.indexed(), w=where)
    return sql.SQL("SELECT {i}, {v} <#> %(q)s AS d FROM {t}{w} ORDER BY {v} <#> %(q)s "
                   "LIMIT %(k)s").format(i=ident, v=col, t=layout.ident, w=where)


def attr_expr(layout: Layout, key: str, i: int) -> sql.Composable:
    """Filter key `key` (the i-th) of a row, as text: a mapped column cast to text (numbers,
    booleans and dates print as filters.as_text writes them), else the key of the jsonb
    metadata column (parameter fk<i>). NULL, or a missing key, matches nothing."""
    column = dict(layout.attr_columns).get(key)
    if column is not None:
        return sql.SQL("{}::text").format(sql.Identifier(column))
    meta = layout.meta_col or ("attrs" if layout.attrs else None)
    assert meta is not None  # an unmapped attribute is refused before any search
    return sql.SQL("({} ->> %(fk{})s)").format(sql.Identifier(meta), sql.SQL(str(i)))
