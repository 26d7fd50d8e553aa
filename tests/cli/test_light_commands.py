"""Commands that only read a suite stay light: no numpy, torch, faiss or onnx is imported.

`embedgate validate` runs in pre-commit hooks and CI on every push; its time is the import time
of what it loads (`embedgate bench warm` prints it). This guards the cause, not a timing.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "torch", "faiss", "onnxruntime", "onnx", "transformers", "ranx", "scipy")
PROBE = """
import json, sys
from embedgate.cli.entry import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "heavy": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def _heavy_after(argv: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("suite", ["quickstart.yaml", "bakeoff.yaml", "int8-signoff.yaml",
                                   "qa-satisfaction.yaml"])
def test_validate_imports_nothing_heavy(suite: str) -> None:
    got = _heavy_after(["validate", f"suites/{suite}"])
    assert got == {"code": 0, "heavy": []}


def test_help_imports_nothing_heavy() -> None:
    got = _heavy_after(["--help"])
    assert got == {"code": 0, "heavy": []}
