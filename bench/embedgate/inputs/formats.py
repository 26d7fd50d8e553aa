"""One loader per dataset `format:` (beir, table, trec, hf), chosen by the suite's spec.

>>> load_dataset(spec, loaded.resolve)   # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from embedgate.infra.textio import check_name
from embedgate.inputs.beir import Collection, load_beir
from embedgate.inputs.hf_data import load_hf
from embedgate.inputs.records import Columns
from embedgate.inputs.table_data import load_table
from embedgate.inputs.trec_data import load_trec
from embedgate.suite.datasets import ColumnsSpec, HfDatasetSpec, TableDatasetSpec, TrecDatasetSpec
from embedgate.suite.suite import DatasetSpec


def columns(spec: ColumnsSpec) -> Columns:
    return Columns(doc_id=spec.corpus.id, doc_text=spec.corpus.text, doc_title=spec.corpus.title,
                   query_id=spec.queries.id, query_text=spec.queries.text,
                   qrels_query_id=spec.qrels.query_id, qrels_doc_id=spec.qrels.doc_id,
                   qrels_score=spec.qrels.score)


def load_dataset(spec: DatasetSpec, resolve: Callable[[Path], Path]) -> Collection:
    """The collection a dataset spec names; paths are resolved against the suite's folder."""
    def path(p: Path, what: str) -> Path:
        return resolve(check_name(p, what))  # before resolve(), which raises on a NUL

    if isinstance(spec, TableDatasetSpec):
        return load_table(spec.id, path(spec.corpus, "corpus"), path(spec.queries, "queries"),
                          path(spec.qrels, "qrels"), spec.split, columns(spec.columns),
                          spec.unknown_doc_qrels)
    if isinstance(spec, TrecDatasetSpec):
        return load_trec(spec.id, path(spec.corpus, "corpus"), path(spec.topics, "topics"),
                         path(spec.qrels, "qrels"), spec.split, columns(spec.columns),
                         spec.field, spec.unknown_doc_qrels)
    if isinstance(spec, HfDatasetSpec):
        return load_hf(spec.id, path(spec.path, "dataset path"), spec.split,
                       columns(spec.columns), spec.unknown_doc_qrels)
    return load_beir(spec.id, path(spec.path, "dataset path"), spec.split, spec.unknown_doc_qrels)
