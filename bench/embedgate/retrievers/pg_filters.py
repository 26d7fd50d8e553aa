"""Metadata filters on a deployed pgvector table (`load: existing`): where each attribute a
query filters on lives in that table, checked before any search.

The suite maps an attribute to a column (`attribute_columns: {lang: language}`: the column's
value as text) and/or names a jsonb column whose keys are the attributes (`metadata_column:
attrs`); a mapped column wins over the jsonb key. An attribute the suite does not map, or a
mapped column the table lacks, is one line and exit 2: the catalog is read, nothing written.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from embedgate.embedders.base import QueryFilters
from embedgate.infra.errors import InputError, unknown
from embedgate.suite import PgvectorSpec

_JSON_TYPES = ("jsonb", "json")


def require_mapped(spec: PgvectorSpec, filters: QueryFilters, where: str) -> None:
    """Every attribute the queries filter on has a place in the table (exit 2 otherwise,
    before the queries are encoded or the server is asked anything)."""
    require_mapped_keys(spec, sorted({key for flt in filters.per_query if flt for key in flt}),
                        where)


def require_mapped_keys(spec: PgvectorSpec, keys: Iterable[str], where: str) -> None:
    """`require_mapped` for the attribute names alone (the runner's check before any model)."""
    if spec.load != "existing" or spec.metadata_column is not None:
        return  # load: suite writes its own attrs; a jsonb column holds every unmapped key
    for key in keys:
        if key not in spec.attribute_columns:
            raise InputError(
                f'{where}: the queries filter on attribute "{key}", which table "{spec.table}" '
                f"does not map: add attribute_columns: {{{key}: <its column>}} (or "
                "metadata_column: <a jsonb column holding it>) to this pgvector system")


def check_columns(conn: Any, spec: PgvectorSpec, where: str) -> None:
    """The mapped columns exist in the table (and `metadata_column` is json/jsonb), read from
    the catalog."""
    rows = conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum", (spec.table,)).fetchall()
    types = {str(name): str(tp) for name, tp in rows}
    for attr, column in spec.attribute_columns.items():
        if column not in types:
            raise InputError(f"{where}: attribute_columns: {attr}: " + unknown(
                f'column of table "{spec.table}"', column, types, "its columns"))
    meta = spec.metadata_column
    if meta is not None and meta not in types:
        raise InputError(f"{where}: metadata_column: " + unknown(
            f'column of table "{spec.table}"', meta, types, "its columns"))
    if meta is not None and types[meta] not in _JSON_TYPES:
        raise InputError(f'{where}: metadata_column: column "{meta}" of table "{spec.table}" '
                         f"is {types[meta]}, not jsonb: map its attributes with "
                         "attribute_columns: instead")
