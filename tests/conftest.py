"""Shared fixtures: paths, the keyword embedder for plumbing tests, suite writers."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from embedgate.run import catalog

catalog.install()  # the built-in kinds, as every embedgate entry point registers them
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# gRPC's C core (the Qdrant gRPC tests) logs INFO lines to fd 2 when a channel or server goes
# away or a test forks beside its threads; set before the first import, as the product does
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
SCIFACT = SHARED / "datasets" / "scifact"


@pytest.fixture(autouse=True)
def _private_embedding_cache(tmp_path_factory: pytest.TempPathFactory,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty embedding cache: no test sees vectors another one computed."""
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path_factory.mktemp("embedding-cache")))


@pytest.fixture
def shared_onnx_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    """One ONNX export cache for the session (exports take tens of seconds): the private
    embedding cache above does not cover exports, which live under EMBEDGATE_ONNX_CACHE_DIR."""
    root = tmp_path_factory.getbasetemp() / "onnx-cache-shared"
    monkeypatch.setenv("EMBEDGATE_ONNX_CACHE_DIR", str(root))
    return root


@pytest.fixture
def write_suite(tmp_path: Path) -> Callable[[str], Path]:
    """Write YAML text to a suite file in tmp_path and return its path."""

    def _write(text: str, name: str = "suite.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def write_beir(root: Path, corpus: list[dict], queries: list[dict], qrels: list[tuple[str, str, int]],
               split: str = "test") -> Path:
    """Write a tiny BEIR folder."""
    import json

    (root / "qrels").mkdir(parents=True, exist_ok=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in corpus),
                                       encoding="utf-8")
    (root / "queries.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries),
                                        encoding="utf-8")
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in qrels]
    (root / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


EXAMPLE_PLUGIN = ROOT / "tests" / "fakes" / "plugin_example" / "embedgate_example_plugin.py"


def install_example_plugin(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the example `char-ngram` plugin as pip would (a dist-info folder declaring the
    entry point) into `site`, and put `site` on sys.path for the test."""
    import shutil

    dist = site / "embedgate_example_plugin-0.1.0.dist-info"
    dist.mkdir(parents=True)
    shutil.copy(EXAMPLE_PLUGIN, site / EXAMPLE_PLUGIN.name)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: embedgate-example-plugin\n"
                                   "Version: 0.1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(
        "[embedgate.embedders]\nchar-ngram = embedgate_example_plugin:CharNgramEmbedder\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    return site
