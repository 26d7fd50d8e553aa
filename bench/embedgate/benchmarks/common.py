"""Helpers shared by the benchmarks: inputs, interleaved timing, peak memory, machine load.

Benchmarks print figures; they never assert speed. Timings on a shared machine are noisy, so
every comparison runs its contenders interleaved, several rounds, and reports medians and the
ratio measured in the same process, together with the load average at the time.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from embedgate.infra import cli_args

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
    from embedgate.inputs.beir import passage_text

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
    """Wall seconds per round, and CPU seconds of this process (all its threads) per round.

    On a shared machine CPU time is the steadier figure: waiting for a core inflates wall time
    but not the CPU time the work itself needs.
    """

    name: str
    seconds: list[float]
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

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
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            out[name].seconds.append(time.perf_counter() - t0)
            out[name].cpu.append(time.process_time() - c0)
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


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _read_qrels(path: Path) -> list[tuple[str, str, int]]:
    rows = [r.split("\t") for r in path.read_text(encoding="utf-8").splitlines()[1:] if r.strip()]
    return [(q, d, int(s)) for q, d, s in rows]


def sample_beir(src: Path, out: Path, n_docs: int, n_queries: int, splits: list[str],
                seed: int = 0) -> Path:
    """A smaller BEIR folder: `n_queries` judged queries per split, their relevant documents,
    and random other documents up to `n_docs` (more if the relevant ones need it)."""
    rng = random.Random(seed)
    corpus = _read_jsonl(src / "corpus.jsonl")
    queries = {q["_id"]: q for q in _read_jsonl(src / "queries.jsonl")}
    keep_docs: set[str] = set()
    qrels: dict[str, list[tuple[str, str, int]]] = {}
    for split in splits:
        rows = _read_qrels(src / "qrels" / f"{split}.tsv")
        qids = sorted({q for q, _, _ in rows if q in queries})
        chosen = set(rng.sample(qids, min(n_queries, len(qids))))
        qrels[split] = [r for r in rows if r[0] in chosen]
        keep_docs |= {d for _, d, _ in qrels[split]}
    others = [d["_id"] for d in corpus if d["_id"] not in keep_docs]
    keep_docs |= set(rng.sample(others, max(0, min(len(others), n_docs - len(keep_docs)))))
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in corpus
                      if d["_id"] in keep_docs)
    used = {q for rows in qrels.values() for q, _, _ in rows}
    with (out / "queries.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(queries[q], ensure_ascii=False) + "\n" for q in sorted(used))
    for split, rows in qrels.items():
        (out / "qrels" / f"{split}.tsv").write_text(
            "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{s}\n" for q, d, s in rows),
            encoding="utf-8")
    return out


def bench_data(args: argparse.Namespace, tmp: Path, splits: list[str]) -> Path:
    """The full collection with --full, else a seeded sample of it under `tmp`."""
    data = args.data or default_data()
    if args.full:
        return data
    return sample_beir(data, tmp / "sample", args.docs, args.queries, splits, seed=args.seed)


def add_data_arguments(parser: argparse.ArgumentParser, docs: int, queries: int) -> None:
    parser.add_argument("--model", default="packaged:all-MiniLM-L6-v2")
    parser.add_argument("--data", type=Path, default=None,
                        help="BEIR folder (default: ../shared/datasets/scifact, else the fixtures)")
    parser.add_argument("--docs", type=cli_args.positive_int, default=docs, help=f"sampled documents (default {docs})")
    parser.add_argument("--queries", type=cli_args.positive_int, default=queries,
                        help=f"sampled queries per split (default {queries})")
    parser.add_argument("--full", action="store_true", help="the whole collection, no sampling")
    parser.add_argument("--batch-size", type=cli_args.positive_int, default=32)
    parser.add_argument("--threads", type=cli_args.threads, default=None, help="torch / faiss threads")
    parser.add_argument("--seed", type=cli_args.seed, default=0)


def write_suite(tmp: Path, model: str, batch_size: int, datasets: list[tuple[str, Path, str]],
                tiers: str, name: str = "bench", embedders: Sequence[str] = ()) -> Path:
    """A suite file for a benchmark: one sentence-transformers embedder `model`, plus any
    `embedders` given as YAML flow mappings (e.g. ONNX exports `from: model`)."""
    lines = [f"name: {name}", "embedders:",
             f"  - {{id: model, kind: sentence-transformers, model: \"{model}\", "
             f"batch_size: {batch_size}}}"]
    lines += [f"  - {e}" for e in embedders] + ["datasets:"]
    lines += [f"  - {{id: {i}, format: beir, path: \"{p}\", split: {s}}}" for i, p, s in datasets]
    lines += ["tiers:", tiers]
    path = tmp / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def set_threads(n: int | None) -> int:
    """Fix torch and faiss threads (as `embedgate run --threads` does); returns the count."""
    from embedgate.run.runner import configure_threads

    threads = n or (os.cpu_count() or 1)
    configure_threads(threads)
    return threads


def system_lines(results: Path, dataset: str) -> list[str]:
    """One line per system of a run's results.json on `dataset`: nDCG@10 with Δ vs its
    reference (the system's input, e.g. exact search) and 95% interval, ANN-recall@10, search
    p50 / p95 and build seconds where the system reports them (the measurement scripts)."""
    result = json.loads(results.read_text(encoding="utf-8"))
    value = {(r["embedder"], r["metric"]): r["value"] for r in result["metrics"]}
    nan = float("nan")
    lines = []
    for system in result["embedders"]:
        line = f"{system}: nDCG@10 {value[(system, 'nDCG@10')]:.4f}"
        pipeline = result["details"].get(f"retrieval/{system}/{dataset}", {}).get("pipeline")
        if pipeline:
            vs = pipeline["vs_best_input"]["nDCG@10"]
            search = pipeline["stages"].get(f"{system}:search", {})
            refs = {k: round(v["nDCG@10"], 4) for k, v in pipeline["inputs"].items()}
            line += (f" (vs reference {vs['diff']:+.4f} [{vs['ci95'][0]:+.4f}, "
                     f"{vs['ci95'][1]:+.4f}]) ANN-recall@10 "
                     f"{value.get((system, 'ANN-recall@10'), nan):.3f} search p50 "
                     f"{search.get('p50', nan):.2f} ms p95 {search.get('p95', nan):.2f} ms build "
                     f"{pipeline['counts'].get('build_s', nan):.2f} s; reference {refs}")
        lines.append(line)
    return lines


def report_systems(code: int, run_dir: Path, dataset: str) -> int:
    """A measurement script's ending: the run's exit code when it failed, else its system
    lines printed and 0."""
    if code == 0:
        print("\n".join(system_lines(run_dir / "results.json", dataset)))
    return code
