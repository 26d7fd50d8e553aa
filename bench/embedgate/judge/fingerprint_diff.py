"""What differs between the fingerprints of two results files: data, weights, vectors, settings.

Pure functions over the `fingerprint` section (run/fingerprint.py writes it); judge/explain.py
turns the differences into an attribution.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from embedgate.results.probes import decode_b64, probe_cosines

# Probe cosines at or above this are the same vectors (float16 storage alone moves ~1e-4).
SAME_COSINE = 0.9995
_NOT_ENVIRONMENT = ("weights_sha256", "name", "kind")
# The packages (of provenance.packages) whose versions can change vectors or search results.
LIBRARIES = ("torch", "transformers", "sentence-transformers", "tokenizers", "onnxruntime",
             "faiss-cpu", "numpy")


@dataclass(frozen=True)
class DataDiff:
    """How one dataset differs; `known` is False when either run has no fingerprint of it."""

    dataset: str
    known: bool = True
    corpus_changed: bool = False
    docs: tuple[int, int] = (0, 0)
    added: int = 0
    removed: int = 0
    text_changed: int = 0
    qrels_changed: int = 0

    @property
    def changed(self) -> bool:
        return self.known and bool(self.corpus_changed or self.added or self.removed
                                   or self.text_changed or self.qrels_changed)

    def describe(self) -> str:
        if not self.known:
            return f"{self.dataset}: not fingerprinted in both runs (cannot tell)"
        if not self.changed:
            return f"{self.dataset}: unchanged"
        parts = []
        if self.corpus_changed:
            parts.append(f"corpus changed ({self.docs[0]} -> {self.docs[1]} documents)")
        if self.added:
            parts.append(f"{self.added} queries added")
        if self.removed:
            parts.append(f"{self.removed} queries removed")
        if self.text_changed:
            parts.append(f"query text changed for {self.text_changed} queries")
        if self.qrels_changed:
            parts.append(f"qrels changed for {self.qrels_changed} queries")
        return f"{self.dataset}: " + "; ".join(parts)


@dataclass(frozen=True)
class EmbedderDiff:
    """How one embedder differs: weights, probe vectors, and the factors that shape them."""

    embedder: str
    known: bool = True
    weights_changed: bool = False
    weights: tuple[str, str] = ("", "")
    cos_min: float | None = None
    cos_mean: float | None = None
    factors: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def vectors_changed(self) -> bool:
        return self.cos_min is not None and self.cos_min < SAME_COSINE

    def describe_weights(self) -> str:
        if not self.known:
            return f"{self.embedder}: not fingerprinted in both runs (cannot tell)"
        if self.weights_changed:
            return f"{self.embedder}: weights changed ({self.weights[0][:12]} -> {self.weights[1][:12]})"
        return f"{self.embedder}: weights unchanged ({self.weights[1][:12]})"

    def describe_vectors(self) -> str:
        if self.cos_min is None:
            probe = "no comparable probe vectors"
        else:
            verb = "differ" if self.vectors_changed else "same vectors"
            probe = f"probe cosine min {self.cos_min:.4f}, mean {self.cos_mean:.4f} ({verb})"
        return f"{self.embedder}: {probe}; " + factor_text(self.factors)


def factor_text(factors: dict[str, tuple[Any, Any]]) -> str:
    if not factors:
        return "no recorded factor differs"
    return "differs: " + ", ".join(f"{k} {_short(a)} -> {_short(b)}" for k, (a, b) in factors.items())


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def diff_dataset(name: str, base: dict[str, Any] | None, cur: dict[str, Any] | None,
                 base_fp: dict[str, Any] | None, cur_fp: dict[str, Any] | None) -> DataDiff:
    """`base` / `cur`: the results' `datasets.<id>` (hashes, counts); `*_fp`: the per-query
    hashes of `fingerprint.datasets.<id>`."""
    if not base or not cur or not base_fp or not cur_fp or "corpus_sha256" not in base:
        return DataDiff(name, known=False)
    bq, cq = base_fp.get("query_hashes", {}), cur_fp.get("query_hashes", {})
    br, cr = base_fp.get("qrels_hashes", {}), cur_fp.get("qrels_hashes", {})
    common = set(bq) & set(cq)
    return DataDiff(
        name, corpus_changed=base.get("corpus_sha256") != cur.get("corpus_sha256"),
        docs=(int(base.get("n_docs", 0)), int(cur.get("n_docs", 0))),
        added=len(set(cq) - set(bq)), removed=len(set(bq) - set(cq)),
        text_changed=sum(bq[q] != cq[q] for q in common),
        qrels_changed=sum(br.get(q) != cr.get(q) for q in common))


def diff_embedder(name: str, base: dict[str, Any] | None, cur: dict[str, Any] | None,
                  env_base: dict[str, Any], env_cur: dict[str, Any]) -> EmbedderDiff:
    if not base or not cur:
        return EmbedderDiff(name, known=False)
    bf, cf = base.get("factors", {}), cur.get("factors", {})
    factors = {k: (bf.get(k), cf.get(k)) for k in sorted(set(bf) | set(cf))
               if k not in _NOT_ENVIRONMENT and bf.get(k) != cf.get(k)}
    factors.update(environment_diff(env_base, env_cur))
    cos_min, cos_mean = _probe_stats(base.get("probe"), cur.get("probe"))
    wb, wc = str(bf.get("weights_sha256", "")), str(cf.get("weights_sha256", ""))
    return EmbedderDiff(name, weights_changed=wb != wc, weights=(wb, wc), cos_min=cos_min,
                        cos_mean=cos_mean, factors=factors)


def environment_diff(base: dict[str, Any], cur: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Vector-shaping library versions, ISA flags and threads that differ between two runs'
    `provenance` records."""
    out: dict[str, tuple[Any, Any]] = {}
    bl, cl = base.get("packages", {}), cur.get("packages", {})
    for lib in LIBRARIES:
        if bl.get(lib) != cl.get(lib):
            out[lib] = (bl.get(lib), cl.get(lib))
    bi = set(base.get("hardware", {}).get("isa_flags", []))
    ci = set(cur.get("hardware", {}).get("isa_flags", []))
    if bi != ci:
        out["isa_flags"] = ("-" + ",".join(sorted(bi - ci)) if bi - ci else "",
                            "+" + ",".join(sorted(ci - bi)) if ci - bi else "")
    if base.get("threads") != cur.get("threads"):
        out["threads"] = (base.get("threads"), cur.get("threads"))
    return out


def _probe_stats(base: dict[str, Any] | None, cur: dict[str, Any] | None
                 ) -> tuple[float | None, float | None]:
    if not base or not cur or base.get("set") != cur.get("set") or base.get("dim") != cur.get("dim"):
        return None, None
    if base.get("sha256_rounded") == cur.get("sha256_rounded"):
        return 1.0, 1.0
    a = decode_b64(base["float16_b64"], int(base["dim"]))
    b = decode_b64(cur["float16_b64"], int(cur["dim"]))
    if a.shape != b.shape:
        return None, None
    cos = probe_cosines(a, b)
    return float(cos.min()), float(cos.mean())
