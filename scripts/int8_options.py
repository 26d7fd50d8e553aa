"""Explore onnxruntime INT8 quantisation options: size, speed, drift and retrieval quality.

For each model: export FP32 twice (plain, and with onnxruntime's transformer fusions), then
quantise with each recipe of a small grid. Every variant is timed at one batch size on the same
fixed text sample, variants interleaved round by round (best round counts), and scored on a
BEIR collection (nDCG@10, RR@10 relative to fused FP32, which equals torch to cosine ≥ 0.9999).

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/int8_options.py --threads 2 \\
        --models m3e-small all-MiniLM-L6-v2 --dataset fixtures/domain --out int8_options.json

Prints one table per model; --out also writes the figures as JSON.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from embedgate.inputs.beir import Collection, load_beir
from embedgate.embedders.onnx.runtime import OnnxEncoder
from embedgate.infra.errors import InfraError
from embedgate.algorithms.search import exact_search, to_run
from embedgate.algorithms.ir import mean, parse_metric, per_query
from embedgate.embedders.onnx.artifact import DEFAULT_INT8, MODEL_FILE, QuantRecipe
from embedgate.embedders.onnx.export import export_fp32, quantize_int8
from embedgate.infra.packaged import resolve

ALL_OPS = ("MatMul", "Attention", "EmbedLayerNormalization", "Gather")
GRID: dict[str, tuple[bool, QuantRecipe]] = {  # name: (quantise the fused FP32?, recipe)
    "unfused, per-channel, MatMul+Gather": (False, QuantRecipe(op_types=("MatMul", "Gather"))),
    "fused, per-channel, all ops": (True, QuantRecipe(op_types=ALL_OPS)),
    "fused, per-tensor, all ops": (True, QuantRecipe(per_channel=False, op_types=ALL_OPS)),
    "fused, per-channel, reduce_range": (True, QuantRecipe(reduce_range=True, op_types=ALL_OPS)),
    "fused, per-channel, uint8 weights": (
        True, QuantRecipe(weight_type="quint8", op_types=ALL_OPS)),
    "fused, per-channel, MatMul only": (True, QuantRecipe(op_types=("MatMul",))),
    "fused, per-channel, no QAttention": (
        True, QuantRecipe(op_types=("MatMul", "EmbedLayerNormalization", "Gather"))),
}
METRICS = [parse_metric("nDCG@10"), parse_metric("RR@10")]


@dataclass
class Variant:
    name: str
    encoder: OnnxEncoder
    size_mb: float
    best_s: float = float("inf")
    quality: dict[str, float] | None = None
    drift: dict[str, float] | None = None


def build_variants(alias: str, work: Path, threads: int) -> list[Variant]:
    model_dir = resolve(f"packaged:{alias}")
    dirs: dict[str, Path] = {}
    for fused in (False, True):
        out = dirs.setdefault(f"fp32 {'fused' if fused else 'unfused'}", work / f"fp32-{fused}")
        out.mkdir()
        export_fp32(model_dir, out, fuse=fused)
    for i, (name, (fused, recipe)) in enumerate(GRID.items()):
        out = work / f"int8-{i}"
        out.mkdir()
        try:
            quantize_int8(dirs[f"fp32 {'fused' if fused else 'unfused'}"], out, recipe)
        except InfraError as exc:  # the exporter's own drift floor rejected this recipe
            print(f"{alias}: {name}: rejected: {exc}")
            continue
        dirs[name] = out
    return [Variant(name, OnnxEncoder(d, threads=threads), (d / MODEL_FILE).stat().st_size / 1e6)
            for name, d in dirs.items()]


def time_rounds(variants: list[Variant], texts: list[str], batch: int, rounds: int) -> None:
    for v in variants:
        v.encoder.encode(texts[: 2 * batch], batch)  # warm-up
    for r in range(rounds):
        for v in variants[r % len(variants):] + variants[: r % len(variants)]:
            start = time.perf_counter()
            v.encoder.encode(texts, batch)
            v.best_s = min(v.best_s, time.perf_counter() - start)


def score(variants: list[Variant], data: Collection, sample: list[str]) -> None:
    qids = list(data.queries)
    ref = variants[1].encoder.encode(sample, 32)  # fused FP32
    for v in variants:
        docs = v.encoder.encode(data.doc_texts, 32)
        queries = v.encoder.encode([data.queries[q] for q in qids], 32)
        scores, idx = exact_search(docs, queries, 10)
        values = per_query(METRICS, data.qrels, to_run(qids, data.doc_ids, scores, idx))
        v.quality = {m.name: mean(values[m.name]) for m in METRICS}
        cos = np.sum(v.encoder.encode(sample, 32) * ref, axis=1)
        v.drift = {"mean": float(cos.mean()), "p5": float(np.percentile(cos, 5)),
                   "min": float(cos.min())}


def report(alias: str, variants: list[Variant], n_texts: int) -> list[dict[str, object]]:
    base = variants[1]
    rows = []
    print(f"\n{alias}: {n_texts} texts at batch 32 (best of rounds); quality vs fused FP32")
    print(f"{'variant':38s} {'MB':>6s} {'texts/s':>8s} {'x fp32':>7s} {'x unfused':>9s} "
          f"{'cos mean':>8s} {'cos min':>8s} {'nDCG@10':>8s} {'rel %':>6s} {'RR@10':>6s}")
    for v in variants:
        assert v.quality is not None and v.drift is not None and base.quality is not None
        rel = 100 * (v.quality["nDCG@10"] / base.quality["nDCG@10"] - 1)
        row = {"model": alias, "variant": v.name, "size_mb": v.size_mb,
               "texts_per_s": n_texts / v.best_s, "speedup_vs_fused_fp32": base.best_s / v.best_s,
               "speedup_vs_unfused_fp32": variants[0].best_s / v.best_s, "drift": v.drift,
               "quality": v.quality, "rel_ndcg10_pct": rel}
        rows.append(row)
        print(f"{v.name:38s} {v.size_mb:6.1f} {row['texts_per_s']:8.1f} "
              f"{row['speedup_vs_fused_fp32']:7.2f} {row['speedup_vs_unfused_fp32']:9.2f} "
              f"{v.drift['mean']:8.4f} {v.drift['min']:8.4f} {v.quality['nDCG@10']:8.4f} "
              f"{rel:6.2f} {v.quality['RR@10']:6.4f}")
    return rows


def subset(data: Collection, max_docs: int, rng: np.random.Generator) -> Collection:
    """Judged passages plus random distractors; queries and qrels unchanged."""
    judged = {d for rels in data.qrels.values() for d in rels}
    keep = {i for i, d in enumerate(data.doc_ids) if d in judged}
    others = [i for i in range(len(data.doc_ids)) if i not in keep]
    extra = max(0, max_docs - len(keep))
    keep |= set(rng.choice(others, min(extra, len(others)), replace=False).tolist())
    order = sorted(keep)
    return replace(data, doc_ids=[data.doc_ids[i] for i in order],
                   doc_texts=[data.doc_texts[i] for i in order])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["m3e-small", "all-MiniLM-L6-v2"])
    ap.add_argument("--dataset", default="fixtures/domain")
    ap.add_argument("--split", default="test")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--n-texts", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-docs", type=int, help="keep every judged passage plus seeded random "
                    "others up to this many (a faster, harder-than-nothing subset)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    data = load_beir("bench", Path(args.dataset), args.split)
    rng = np.random.default_rng(args.seed)
    if args.max_docs:
        data = subset(data, args.max_docs, rng)
    pool = data.doc_texts + list(data.queries.values())
    sample = [pool[i] for i in rng.choice(len(pool), min(args.n_texts, len(pool)), replace=False)]
    rows: list[dict[str, object]] = []
    print(f"default recipe in embedgate: {asdict(DEFAULT_INT8)}")
    for alias in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            variants = build_variants(alias, Path(tmp), args.threads)
            time_rounds(variants, sample, args.batch, args.rounds)
            score(variants, data, sample)
            rows += report(alias, variants, len(sample))
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                        "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
