"""Fingerprints: what shaped a run's vectors and data, so a move between two runs can be
attributed from the two results files alone (judge/explain.py reads them).

The environment is what `provenance` already records (package versions, `hardware.isa_flags`,
threads) and the datasets' whole-file hashes and counts are in `datasets.<id>`; this adds
results.json `fingerprint` (additive; older files have none):
- `embedders.<id>`: the probe set's vectors (float16, base64, role "query") with a hash of the
  vectors rounded to 3 decimals, and the embedder's vector-shaping factors (weights and
  tokenizer hashes, dtype, device, batch size, max_seq_length, prefixes, …);
- `datasets.<id>`: a short hash per evaluated query of its text and of its judgements (to say
  which queries were added, removed or re-judged); `datasets.<id>` of the results gets the
  corpus / queries / qrels hashes beside the counts it already had.

Probe vectors go through the run's encode pipeline, so they come from the embedding cache on
a warm re-run and no model is loaded for them.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.embedders.base import Embedder, EmbedderInfo, Retriever, Role
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.st import model_path
from embedgate.inputs.beir import Collection
from embedgate.results.probes import encode_b64, vectors_hash

PROBE_FILE = Path(__file__).with_name("probes.txt")
PROBE_SET = "probes-v1"  # bump with a new file; stored fingerprints name the set they used
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json",
                    "merges.txt", "special_tokens_map.json", "sentencepiece.bpe.model",
                    "spiece.model")

EncodeFn = Callable[[Embedder, Sequence[str], Role], np.ndarray]


@lru_cache(maxsize=1)
def probe_texts() -> tuple[str, ...]:
    lines = PROBE_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line for line in lines if line and not line.startswith("#"))


def factors(info: EmbedderInfo, batch_size: int | None, model_dir: Path | None) -> dict[str, Any]:
    """The settings that shape an embedder's vectors, beside its weights."""
    return {"kind": info.kind, "name": info.name, "weights_sha256": info.weights_sha256,
            "tokenizer_sha256": tokenizer_hash(model_dir) if model_dir else None,
            "dtype": info.precision, "backend": info.backend,
            "device": str(info.extra.get("device", "cpu")), "batch_size": batch_size,
            "max_seq_length": info.max_seq_length, "pooling": info.pooling,
            "normalize": info.normalize, "query_prefix": info.query_prefix,
            "passage_prefix": info.passage_prefix, "dim": info.dim,
            "max_tokens_per_batch": info.extra.get("max_tokens_per_batch")}


def tokenizer_hash(model_dir: Path) -> str | None:
    """sha256 (16 hex) over the tokenizer files found in a model folder; None if none."""
    digest = hashlib.sha256()
    found = False
    for name in _TOKENIZER_FILES:
        path = model_dir / name
        if path.is_file():
            found = True
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16] if found else None


def embedder_fingerprint(embedder: Embedder | Retriever, encode: EncodeFn,
                         batch_size: int | None, model_dir: Path | None) -> dict[str, Any]:
    """Probe vectors (through `encode`, i.e. the cache) and factors of one embedder."""
    out: dict[str, Any] = {"factors": factors(embedder.info, batch_size, model_dir)}
    if isinstance(embedder, Retriever) and not isinstance(embedder, Embedder):
        out["probe"] = None  # a retrieval system without vectors
        return out
    vectors = encode(embedder, probe_texts(), "query")  # type: ignore[arg-type]
    out["probe"] = {"set": PROBE_SET, "n": len(vectors), "dim": int(vectors.shape[1]),
                    "role": "query", "sha256_rounded": vectors_hash(vectors),
                    "float16_b64": encode_b64(vectors)}
    return out


def _short(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def part_hashes(data: Collection) -> dict[str, str]:
    """Hashes (16 hex) of the corpus, the evaluated queries and their judgements, for the
    results' `datasets.<id>` record (beside its counts)."""
    docs = hashlib.sha256()
    for doc_id, text in zip(data.doc_ids, data.doc_texts):
        docs.update(doc_id.encode() + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
    queries = hashlib.sha256(repr(sorted(data.queries.items())).encode("utf-8", "surrogatepass"))
    qrels = hashlib.sha256(repr(sorted((q, sorted(r.items())) for q, r in data.qrels.items()))
                           .encode())
    return {"corpus_sha256": docs.hexdigest()[:16], "queries_sha256": queries.hexdigest()[:16],
            "qrels_sha256": qrels.hexdigest()[:16]}


def dataset_fingerprint(data: Collection) -> dict[str, Any]:
    """A short hash per evaluated query of its text and of its judgements."""
    return {"query_hashes": {q: _short(text) for q, text in data.queries.items()},
            "qrels_hashes": {q: _short(repr(sorted(rels.items()))) for q, rels in data.qrels.items()}}


def collect(embedders: dict[str, dict[str, Any]], datasets: dict[str, Collection]) -> dict[str, Any]:
    return {"embedders": embedders,
            "datasets": {k: dataset_fingerprint(v) for k, v in datasets.items()}}


def of_embedder(embedder: Embedder | Retriever, spec: object, encode: EncodeFn,
                env: BuildEnv) -> dict[str, Any]:
    """The runner's call: probe vectors through `encode` (the run's pipeline, so the cache),
    and the factors, with the tokenizer hash of the spec's model folder when it has one."""
    where = model_dir(spec, lambda ref: model_path(ref, env))
    return embedder_fingerprint(embedder, encode, getattr(spec, "batch_size", None), where)


def model_dir(spec: object, resolve: Callable[[str], Path]) -> Path | None:
    """The local model folder of a spec that names one (for the tokenizer hash), else None."""
    model = getattr(spec, "model", None)
    if not isinstance(model, str) or getattr(spec, "kind", "") == "openai-compatible":
        return None
    try:
        path = resolve(model)
    except Exception:  # noqa: BLE001 - a fingerprint never fails a run that already ran
        return None
    return path if path.is_dir() else None
