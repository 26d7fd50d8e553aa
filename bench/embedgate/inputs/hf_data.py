"""`format: hf`: an MTEB / Hugging Face retrieval dataset saved locally.

The folder holds one part per config, as MTEB's retrieval datasets on the Hub do:

    <path>/corpus/    documents   (_id, title, text)
    <path>/queries/   queries     (_id, text)
    <path>/qrels/ or <path>/default/   judgements (query-id, corpus-id, score), per split

Each part is parquet files (a Hub snapshot: ``test-00000-of-00001.parquet``; for qrels only the
files whose name or folder starts with the split are read), arrow files, a folder written by
``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk`` (read with ``datasets.load_from_disk``;
a DatasetDict's split is the `split` for qrels, else its only split), or a single
``<path>/<part>.parquet``. Columns are mapped as in `format: table`. The content hash is the
BEIR loader's over the data files read. Every problem names the file and, for a bad value, the
row (1-based).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InputError
from embedgate.inputs import records
from embedgate.inputs.beir import Collection, Parts, assemble, content_hash
from embedgate.inputs.records import Columns, Row

PARTS = {"corpus": ("corpus",), "queries": ("queries",), "qrels": ("qrels", "default")}
_LAYOUT = ("an MTEB-style folder holds corpus/, queries/ and qrels/ (or default/), each as "
           "parquet or arrow files or a save_to_disk folder")


def _saved(folder: Path) -> bool:
    return (folder / "state.json").is_file() or (folder / "dataset_dict.json").is_file()


def _split_files(folder: Path, split: str | None) -> list[Path]:
    files = sorted(folder.rglob("*.parquet")) or sorted(folder.rglob("*.arrow"))
    if split is not None:
        files = [f for f in files if f.name.startswith(split) or split in
                 f.relative_to(folder).parts[:-1]]
    return files


def part_source(root: Path, part: str, split: str | None) -> tuple[Path, list[Path]]:
    """(the folder or file named in errors, the data files) of one part."""
    for name in PARTS[part]:
        single = root / f"{name}.parquet"
        if single.is_file():
            return single, [single]
        folder = root / name
        if folder.is_dir():
            if _saved(folder):
                return folder, []
            files = _split_files(folder, split)
            if not files:
                which = f" for split {split!r}" if split else ""
                raise InputError(f"{folder}: no parquet or arrow files{which}; {_LAYOUT}")
            return folder, files
    raise InputError(f"{root}: no {' or '.join(n + '/' for n in PARTS[part])} part; {_LAYOUT}")


def _arrow_table(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.suffix == ".parquet":
            return pq.read_table(path)
        with pa.memory_map(str(path)) as source:
            try:
                return pa.ipc.open_stream(source).read_all()  # datasets writes IPC streams
            except pa.ArrowInvalid:
                source.seek(0)
                return pa.ipc.open_file(source).read_all()
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: not a readable {path.suffix.lstrip('.')} file ({exc}); "
                         "write it with pyarrow or datasets") from None


def _loaded_split(folder: Path, split: str | None) -> tuple[Any, list[Path]]:
    """The rows and files of a save_to_disk folder (a Dataset, or one split of a DatasetDict:
    `split` for qrels; for corpus / queries the split named like the part, or the only one)."""
    import datasets

    try:
        loaded = datasets.load_from_disk(str(folder))
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise InputError(f"{folder}: not a datasets.save_to_disk folder ({exc})") from None
    if isinstance(loaded, datasets.DatasetDict):
        names = list(loaded)
        wanted = split or folder.name
        pick = wanted if wanted in loaded else (names[0] if len(names) == 1 and not split
                                                else None)
        if pick is None:
            raise InputError(f"{folder}: no split {wanted!r} (splits: {', '.join(names)}); "
                             "set the dataset's split: to one of them")
        loaded = loaded[pick]
    return loaded.data.table, [Path(f["filename"]) for f in loaded.cache_files]


def part_rows(root: Path, part: str, wanted: Mapping[str, str], split: str | None
              ) -> tuple[Iterator[Row], list[Path]]:
    """(rows, files read) of one part; the mapped columns are checked before any row."""
    source, files = part_source(root, part, split)
    tables = ([(source, *_loaded_split(source, split))] if not files else
              [(f, _arrow_table(f), [f]) for f in files])
    for where, table, _ in tables:
        records.need_columns(str(where), table.column_names, wanted, part)
    return _rows(tables, wanted), [f for _, _, fs in tables for f in fs]


def _rows(tables: list[tuple[Path, Any, list[Path]]], wanted: Mapping[str, str]) -> Iterator[Row]:
    for where, table, _ in tables:
        keep = [c for c in table.column_names if c in set(wanted.values()) | {"title", "metadata"}]
        for i, row in enumerate(table.select(keep).to_pylist(), start=1):
            yield f"{where} row {i}", row


def load_hf(dataset_id: str, root: Path, split: str, cols: Columns,
            unknown_doc_qrels: str = "error") -> Collection:
    """A collection from a locally saved MTEB / HF retrieval dataset (module docstring)."""
    if not root.is_dir():
        raise InputError(f"{root}: dataset folder not found; {_LAYOUT}")
    doc_rows, doc_files = part_rows(root, "corpus", cols.corpus(), None)
    ids, texts, meta = records.corpus(doc_rows, cols, root / "corpus")
    q_rows, q_files = part_rows(root, "queries", cols.queries(), None)
    queries = records.queries(q_rows, cols)
    r_rows, r_files = part_rows(root, "qrels", cols.qrels(), split)
    judged = records.qrels(r_rows, cols)
    qrels_path = r_files[0] if len(r_files) == 1 else root
    return assemble(Parts(dataset_id, root, split, ids, texts, meta, queries, judged,
                          qrels_path, content_hash(doc_files + q_files + r_files)),
                    unknown_doc_qrels)
