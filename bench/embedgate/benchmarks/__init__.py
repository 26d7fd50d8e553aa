"""`embedgate bench NAME`: benchmarks that print figures (never timed tests).

Each module provides ``add_arguments(parser)`` and ``main(args) -> int``. Run with
``embedgate bench --help`` to list them; every one says what it measures in its docstring.
"""
from __future__ import annotations

import argparse
import importlib
from typing import Any

BENCHMARKS: dict[str, str] = {
    "batching": "dynamic batching gain on a mixed-length corpus",
    "overhead": "(a) retrieval tier wall time vs raw SentenceTransformer.encode",
    "evaluator": "(b) agreement with and speed vs sentence-transformers' IR evaluator",
    "cache": "(c) cached re-run vs cold run",
    "warm": "a warm CI re-run (all cached, no model loaded) vs cold, as processes; validate",
    "memory": "(d) peak memory vs corpus size (synthetic, 10k to 1M texts)",
    "scifact": "full SciFact test: suite cold wall vs raw encode, INT8 vs FP32 ONNX",
    "load": "open-loop load on a loopback embeddings endpoint: plain / batching / +LRU",
    "vector-stores": "ingest + query of N vectors: embedded pgvector vs faiss; suite vs bare loop",
}


def add_parser(sub: Any) -> None:
    """Register `bench` and one sub-command per benchmark on the CLI's subparsers."""
    bench = sub.add_parser("bench", help="run a benchmark and print its figures")
    names = bench.add_subparsers(dest="benchmark", required=True)
    for name, summary in BENCHMARKS.items():
        mod = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
        p = names.add_parser(name, help=summary, description=mod.__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(func=mod.main)
