"""The perf tier's worker processes: one `embedgate.perf_worker` per variant, JSON over pipes.

Workers start and load one after another (so load times are not measured under each other's
imports) and then stay alive, idle while another variant runs, until the pool closes.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np

from embedgate.suite import LoadedSuite
from embedgate.infra.errors import InfraError, InputError
from embedgate.tiers.perf.worker import __name__ as worker_module
from embedgate.tiers.perf.worker import decode_vectors


class WorkerPool:
    """Context manager over one worker subprocess per embedder id."""

    def __init__(self, loaded: LoadedSuite, variants: list[str], threads: int, max_batch: int,
                 timeout_s: float, entry: str = "") -> None:
        self.loaded = loaded
        self.entry = entry or worker_module  # a module run with -m; run.child in a suite run
        self.variants = variants
        self.threads = threads
        self.max_batch = max_batch
        self.timeout_s = timeout_s
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.logs: dict[str, IO[bytes]] = {}

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for eid, proc in self.procs.items():
            _stop(proc)
            self.logs[eid].close()

    def load_all(self) -> dict[str, dict[str, Any]]:
        """Start and load the workers one at a time; returns each one's load figures."""
        specs = self._specs()
        out: dict[str, dict[str, Any]] = {}
        for eid in self.variants:
            self._start(eid)
            index = [e.id for e in self.loaded.suite.embedders].index(eid)
            out[eid] = self.send(eid, {"cmd": "load", "id": eid, "specs": specs,
                                       "threads": self.threads,
                                       "base_dir": str(self.loaded.base_dir),
                                       "where": self.loaded.where(("embedders", index))})
        return out

    def _specs(self) -> dict[str, Any]:
        """Every spec of the suite (ONNX ones need their source); measured ones get one forward
        pass per call: batch_size = the largest perf batch, no token budget."""
        out: dict[str, Any] = {}
        for spec in self.loaded.suite.embedders:
            update = {k: v for k, v in (("batch_size", self.max_batch),
                                        ("max_tokens_per_batch", None))
                      if k in type(spec).model_fields and spec.id in self.variants}
            out[spec.id] = spec.model_copy(update=update).model_dump(mode="json", by_alias=True)
        return out

    def _start(self, eid: str) -> None:
        import embedgate

        package_root = str(Path(embedgate.__file__).resolve().parents[1])
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": str(self.threads),
               "MKL_NUM_THREADS": str(self.threads),
               "PYTHONPATH": os.pathsep.join(filter(None, [package_root,
                                                            os.environ.get("PYTHONPATH")]))}
        self.logs[eid] = tempfile.TemporaryFile()
        self.procs[eid] = subprocess.Popen(
            [sys.executable, "-m", self.entry], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.logs[eid], env=env, text=True, encoding="utf-8")

    def send(self, eid: str, msg: dict[str, Any]) -> dict[str, Any]:
        """One command, one answer; a dead, silent or failing worker raises with its reason."""
        proc = self.procs[eid]
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(msg) + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            raise InfraError(self._died(eid, msg["cmd"])) from None
        ready, _, _ = select.select([proc.stdout], [], [], self.timeout_s)
        line = proc.stdout.readline() if ready else ""
        if not ready:
            _stop(proc)
            raise InfraError(f"perf worker for {eid}: no answer to {msg['cmd']} within "
                             f"{self.timeout_s:.0f} s; raise tiers.perf.timeout_s")
        if not line:
            raise InfraError(self._died(eid, msg["cmd"]))
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            cls = InputError if answer.get("exit_code") == 2 else InfraError
            raise cls(f"perf worker for {eid}: {answer['error']}")
        return answer

    def send_all(self, msg: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {eid: self.send(eid, msg) for eid in self.variants}

    def vectors(self, variants: list[str]) -> dict[str, np.ndarray]:
        return {eid: decode_vectors(self.send(eid, {"cmd": "vectors"})) for eid in variants}

    def _died(self, eid: str, cmd: str) -> str:
        proc = self.procs[eid]
        code = proc.wait(timeout=10)
        log = self.logs[eid]
        log.seek(0)
        tail = log.read().decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return f"perf worker for {eid} exited with code {code} during {cmd}: {tail[0][:300]}"


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    try:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({"cmd": "exit"}) + "\n")
        proc.stdin.flush()
        proc.wait(timeout=10)
    except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
