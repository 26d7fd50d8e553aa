"""Helpers shared by the benchmarks: inputs, interleaved timing, peak memory, machine load.

Benchmarks print figures; they never assert speed. Timings on a shared machine are noisy, so
every comparison runs its contenders interleaved, several rounds, and reports medians and the
ratio measured in the same process, together with the load average at the time.
"""
from __future__ import annotations

import json
import os
import random
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SCIFACT = PROJECT_ROOT.parent / "shared" / "datasets" / "scifact"
FIXTURE_DOMAIN = PROJECT_ROOT / "fixtures" / "domain"


def default_data() -> Path:
    """SciFact when the shared datasets are present, else the project's own fixtures."""
    return SCIFACT if (SCIFACT / "corpus.jsonl").is_file() else FIXTURE_DOMAIN


def machine_load() -> str:
    """One line saying how busy the machine was (timings depend on it)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


def read_texts(path: Path, field: str = "text", title: bool = True) -> list[str]:
    """Texts of a BEIR jsonl file, passages as ``title + " " + text`` like the loader."""
    from ..data import passage_text

    out: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)
                out.append(passage_text(doc) if title else str(doc.get(field) or ""))
    return out


def mixed_texts(data: Path, sample: int | None, seed: int = 0) -> list[str]:
    """Passages and queries of a BEIR folder shuffled together: a mixed-length input.

    `sample` keeps that many passages and as many queries (None: all of both).
    """
    rng = random.Random(seed)
    docs = read_texts(data / "corpus.jsonl")
    queries = read_texts(data / "queries.jsonl", title=False)
    if sample is not None:
        docs = rng.sample(docs, min(sample, len(docs)))
        queries = rng.sample(queries, min(sample, len(queries)))
    texts = docs + queries
    rng.shuffle(texts)
    return texts


@dataclass
class Timing:
    name: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> str:
        return f"{min(self.seconds):.2f}–{max(self.seconds):.2f}"


def interleaved(contenders: dict[str, Callable[[], object]], rounds: int,
                warmup: bool = True) -> dict[str, Timing]:
    """Run each contender once per round, in turn, so load changes hit all of them alike."""
    if warmup:
        for fn in contenders.values():
            fn()
    out = {name: Timing(name, []) for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            out[name].seconds.append(time.perf_counter() - t0)
    return out


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    """A plain aligned table on stdout."""
    cells = [headers] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)
