"""Benchmark (b): embedgate vs sentence-transformers' InformationRetrievalEvaluator.

1. Agreement: on the same model and data, nDCG@10 and MRR@10 of both (goal: equal to 1e-4).
2. Speed, cold: a suite with several metrics, two datasets sharing one corpus (the test and
   train splits) and two tiers (retrieval and space_map on the test split). embedgate encodes
   each text once (dedupe + cache); the evaluator approach calls the evaluator once per dataset
   (each call encodes the whole corpus again) and encodes the map's texts again.
   Goal: embedgate >= 1.5x faster. Both sides include loading the model (page cache warmed).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from embedgate.benchmarks.common import (
    add_data_arguments, bench_data, machine_load, print_table, set_threads,
)

SPLITS = ["test", "train"]
METRICS = "[nDCG@10, RR@10, R@100, AP@100]"
MAP_POINTS = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, docs=300, queries=60)


def main(args: argparse.Namespace) -> int:
    from embedgate.infra.packaged import resolve

    threads = set_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="embedgate-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        data_dir = bench_data(args, tmp, SPLITS)
        model_dir = resolve(args.model)
        _load_model(model_dir)  # warm the page cache so neither side pays the first disk read
        t0 = time.perf_counter()
        ours = _run_embedgate(args, tmp, data_dir, threads)
        ours_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        theirs, n_theirs = _run_evaluators(args, data_dir, model_dir, ours["map_texts"])
        theirs_s = time.perf_counter() - t0
    _report(args, threads, ours, theirs, ours_s, theirs_s, n_theirs)
    return 0


def _load_model(model_dir: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


def _run_embedgate(args: argparse.Namespace, tmp: Path, data_dir: Path,
                   threads: int) -> dict[str, Any]:
    from embedgate.suite import Tiers, load_suite
    from embedgate.encode.setup import EncodeOverrides
    from embedgate.run.runner import run_suite
    from embedgate.benchmarks.common import write_suite

    tiers = f"  retrieval: {{metrics: {METRICS}, top_k: 100}}"
    with_map = "space_map" in Tiers.model_fields
    if with_map:
        tiers += f"\n  space_map: {{sources: [{{id: test, kind: dataset}}], max_points: {MAP_POINTS}}}"
    suite = write_suite(tmp, args.model, args.batch_size,
                        [(s, data_dir, s) for s in SPLITS], tiers)
    result, _ = run_suite(load_suite(suite), out=tmp / "out", threads=threads, progress=False,
                          encode=EncodeOverrides(cache_dir=tmp / "cache"))
    values = {s: {m: result.metric("model", "retrieval", s, m).value  # type: ignore[union-attr]
                  for m in ("nDCG@10", "RR@10")} for s in SPLITS}
    map_texts = _map_texts(result.details) if with_map else 0
    return {"values": values, "computed": int(result.timings.get("encode_computed", 0)),
            "requested": int(result.timings.get("encode_texts", 0)), "map_texts": map_texts}


def _map_texts(details: dict[str, Any]) -> int:
    enc = details.get("space_map/model/test", {}).get("encode", {})
    return int(enc.get("texts", 0))


def _run_evaluators(args: argparse.Namespace, data_dir: Path, model_dir: Path,
                    map_texts: int) -> tuple[dict[str, dict[str, float]], int]:
    """One InformationRetrievalEvaluator call per dataset, as a script would write it."""
    from sentence_transformers.sentence_transformer.evaluation import (
        InformationRetrievalEvaluator)

    from embedgate.inputs.beir import load_beir

    model = _load_model(model_dir)
    out: dict[str, dict[str, float]] = {}
    encoded = 0
    for split in SPLITS:
        col = load_beir(split, data_dir, split)
        relevant = {q: {d for d, r in rel.items() if r > 0} for q, rel in col.qrels.items()}
        ev = InformationRetrievalEvaluator(
            queries=col.queries, corpus=dict(zip(col.doc_ids, col.doc_texts)),
            relevant_docs=relevant, mrr_at_k=[10], ndcg_at_k=[10], map_at_k=[100],
            precision_recall_at_k=[100], accuracy_at_k=[10], batch_size=args.batch_size,
            write_csv=False, name=split)
        scores = ev(model)
        out[split] = {"nDCG@10": scores[f"{split}_cosine_ndcg@10"],
                      "RR@10": scores[f"{split}_cosine_mrr@10"]}
        encoded += len(col.doc_ids) + len(col.queries)
    if map_texts:  # the second tier's texts, encoded again the way a script would
        col = load_beir("test", data_dir, "test")
        texts = (list(col.queries.values()) + col.doc_texts)[:map_texts]
        model.encode(texts, batch_size=args.batch_size)
        encoded += len(texts)
    return out, encoded


def _report(args: argparse.Namespace, threads: int, ours: dict[str, Any],
            theirs: dict[str, dict[str, float]], ours_s: float, theirs_s: float,
            n_theirs: int) -> None:
    print(f"evaluator benchmark: {args.model}, {'full collection' if args.full else 'sample'} "
          f"({args.data or 'default data'}), splits {', '.join(SPLITS)}, batch_size "
          f"{args.batch_size}, {threads} threads")
    print(machine_load())
    rows = [[s, m, f"{ours['values'][s][m]:.6f}", f"{theirs[s][m]:.6f}",
             f"{abs(ours['values'][s][m] - theirs[s][m]):.1e}"]
            for s in SPLITS for m in ("nDCG@10", "RR@10")]
    print_table(["split", "metric", "embedgate", "IR evaluator", "|diff| (goal < 1e-4)"], rows)
    print()
    print_table(["approach (cold)", "texts encoded", "wall s"],
                [["embedgate suite (2 datasets, 2 tiers)", ours["computed"], ours_s],
                 ["IR evaluator per dataset + map re-encode", n_theirs, theirs_s]])
    print(f"embedgate asked for {ours['requested']} texts and encoded {ours['computed']}; "
          f"speed-up {theirs_s / ours_s:.2f}x (goal >= 1.5x)")
