"""One embedder variant in its own process, so its memory figures are its own (perf tier).

Run as ``python -m embedgate.perf_worker``. It reads one JSON command per line on stdin and
answers one JSON line on stdout; logs and library chatter go to stderr (file descriptor 1 is
pointed at stderr at start-up so a stray print cannot break the protocol). Commands:

- ``load``: import the backend, measure RSS, build the embedder (load time), RSS after load and
  after a one-word encode (weight memory = the latter minus RSS before);
- ``texts``: keep the sample and return its token counts;
- ``warmup``: one batch per batch size;
- ``round``: encode the sample once per batch size, one timed call per batch; peak RSS;
- ``vectors``: the sample's vectors (base64 float32), for the drift of one variant vs another;
- ``exit``.

An error answers ``{"error": ..., "exit_code": ...}`` (2 bad input, 4 infrastructure).
"""
from __future__ import annotations

import base64
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import IO, Any

import numpy as np

from embedgate.infra.errors import EmbedgateError
from embedgate.suite import EmbedderSpec
from embedgate.embedders.registry import BuildEnv, build_embedder, embedder_factory
from embedgate.infra.hashing import WEIGHT_SUFFIXES

MB = 1024 * 1024
# What each built-in kind imports when it loads; imported before the "before" RSS is taken so
# that weight memory is the model's, not the libraries'.
BACKEND_MODULES: dict[str, tuple[str, ...]] = {
    "sentence-transformers": ("torch", "sentence_transformers"),
    "onnx": ("onnxruntime", "tokenizers"),
}
HEAVY = ("torch", "sentence_transformers", "onnxruntime", "transformers")


def rss_bytes() -> int:
    """Resident set size now (VmRSS), from /proc; psutil elsewhere."""
    value = _proc_status("VmRSS")
    if value is not None:
        return value
    import psutil

    return int(psutil.Process().memory_info().rss)


def peak_rss_bytes() -> int:
    """Peak RSS since the last `reset_peak_rss` (VmHWM); lifetime peak where it cannot reset."""
    value = _proc_status("VmHWM")
    if value is not None:
        return value
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def reset_peak_rss() -> bool:
    """Linux resets VmHWM to the current RSS when "5" is written to /proc/self/clear_refs."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _proc_status(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class Worker:
    """Holds one embedder and the text sample between commands."""

    def __init__(self) -> None:
        self.embedder: Any = None
        self.texts: list[str] = []
        self.threads = 0

    def load(self, msg: dict[str, Any]) -> dict[str, Any]:
        from pydantic import TypeAdapter

        adapter: TypeAdapter[Any] = TypeAdapter(EmbedderSpec)
        specs = {k: adapter.validate_python(v) for k, v in msg["specs"].items()}
        spec = specs[msg["id"]]
        self.threads = int(msg["threads"])
        embedder_factory(spec.kind)
        for name in BACKEND_MODULES.get(spec.kind, ()):
            importlib.import_module(name)
        _fix_threads(self.threads)
        before = rss_bytes()
        start = time.perf_counter()
        env = BuildEnv(where=msg["where"], progress=False, base_dir=Path(msg["base_dir"]),
                       specs=specs, threads=self.threads)
        self.embedder = build_embedder(spec, env)
        load_s = time.perf_counter() - start
        after = rss_bytes()
        # Backends that memory-map their weights (torch via safetensors / mmap'd state dicts)
        # page them in on first use: one one-word encode touches every weight and almost no
        # activation memory, so RSS after it is where the weights really live.
        self.embedder.encode(["warm"], "passage")
        touched = rss_bytes()
        return {"pid": os.getpid(), "load_s": load_s, "rss_before_mb": before / MB,
                "rss_after_load_mb": after / MB, "rss_after_first_encode_mb": touched / MB,
                "weight_mb": (touched - before) / MB,
                "peak_rss_load_mb": peak_rss_bytes() / MB,
                "size_mb": disk_bytes(self.embedder) / MB,
                "threads": self.threads, "dim": int(self.embedder.info.dim),
                "heavy_modules": sorted(m for m in HEAVY if m in sys.modules)}

    def set_texts(self, msg: dict[str, Any]) -> dict[str, Any]:
        self.texts = list(msg["texts"])
        counter = getattr(self.embedder, "token_lengths", None)
        return {"n_tokens": [int(n) for n in counter(self.texts)] if counter else None}

    def warmup(self, msg: dict[str, Any]) -> dict[str, Any]:
        for bs in msg["batch_sizes"]:
            self.embedder.encode(self.texts[:bs], "passage")
        return {}

    def round(self, msg: dict[str, Any]) -> dict[str, Any]:
        resettable = reset_peak_rss()
        latencies: dict[str, list[float]] = {}
        for bs in msg["batch_sizes"]:
            times = []
            for start in range(0, len(self.texts), bs):
                batch = self.texts[start:start + bs]
                t0 = time.perf_counter()
                self.embedder.encode(batch, "passage")
                times.append((time.perf_counter() - t0) * 1000.0)
            latencies[str(bs)] = times
        return {"latencies_ms": latencies, "peak_rss_mb": peak_rss_bytes() / MB,
                "peak_is_per_round": resettable}

    def vectors(self, msg: dict[str, Any]) -> dict[str, Any]:
        vecs = np.ascontiguousarray(self.embedder.encode(self.texts, "passage"), dtype=np.float32)
        return {"shape": list(vecs.shape), "b64": base64.b64encode(vecs.tobytes()).decode()}


def disk_bytes(embedder: Any) -> int:
    """Size of the weights on disk: the ONNX file, or the weight files of a model directory."""
    model_file = getattr(embedder, "model_file", None)
    if model_file is not None:
        return Path(model_file).stat().st_size
    path = getattr(embedder, "path", None)
    if path is None or not Path(path).is_dir():
        return 0
    return sum(p.stat().st_size for p in Path(path).rglob("*")
               if p.is_file() and p.suffix in WEIGHT_SUFFIXES)


def _fix_threads(threads: int) -> None:
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(threads)


def decode_vectors(answer: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(answer["b64"])
    return np.frombuffer(raw, dtype=np.float32).reshape(answer["shape"])


def serve(inp: IO[str], out: IO[str]) -> None:
    worker = Worker()
    handlers = {"load": worker.load, "texts": worker.set_texts, "warmup": worker.warmup,
                "round": worker.round, "vectors": worker.vectors}
    for line in inp:
        msg = json.loads(line)
        if msg.get("cmd") == "exit":
            break
        try:
            answer = handlers[msg["cmd"]](msg)
        except EmbedgateError as exc:
            answer = {"error": str(exc), "exit_code": exc.exit_code}
        except Exception as exc:  # reported to the parent, which raises InfraError with it
            answer = {"error": f"{type(exc).__name__}: {exc}", "exit_code": 4,
                      "traceback": traceback.format_exc()}
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main() -> None:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed by libraries lands on stderr, not in the protocol
    sys.stdout = sys.stderr
    serve(sys.stdin, protocol)


if __name__ == "__main__":
    main()
