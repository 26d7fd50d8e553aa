"""Where a run happened: packages, Python, CPU, threads, git sha. Needed to compare runs."""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from embedgate.infra.cpu import cpu_flags

# Flags that make BLAS / oneDNN / onnxruntime pick other kernels (and so other rounding).
_ISA_PREFIXES = ("avx512", "amx")
_ISA_FLAGS = frozenset({"avx", "avx2", "fma", "f16c", "sse4_2", "avx_vnni", "neon", "asimd"})

PACKAGES = ("embedgate", "torch", "sentence-transformers", "transformers", "faiss-cpu",
            "onnxruntime", "ir-measures", "ranx", "numpy", "pydantic", "jinja2", "tokenizers")


def package_versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def isa_flags(flags: frozenset[str] | None = None) -> list[str]:
    """The CPU flags that select numerical kernels, sorted.

    >>> isa_flags(frozenset({"avx2", "avx512f", "sse2", "amx_int8"}))
    ['amx_int8', 'avx2', 'avx512f']
    """
    found = cpu_flags() if flags is None else flags
    return sorted(f for f in found if f in _ISA_FLAGS or f.startswith(_ISA_PREFIXES))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_sha(where: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def hardware(threads: int) -> dict[str, Any]:
    """The fingerprint perf comparisons require to match."""
    fp = {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "machine": platform.machine(),
          "threads": threads}
    fp["fingerprint"] = hashlib.sha256(repr(sorted(fp.items())).encode()).hexdigest()[:16]
    # Added after the hash: the kernel-selecting flags explain vector moves (judge/explain.py)
    # without changing the fingerprint that older baselines' perf gates matched on.
    fp["isa_flags"] = isa_flags()
    return fp


def collect(suite_dir: Path, seed: int, threads: int) -> dict[str, Any]:
    return {
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "hardware": hardware(threads),
        "threads": threads,
        "seed": seed,
        "git_sha": git_sha(suite_dir),
    }
