"""Per-dataset query instructions: what the model receives, results.json, and the cache key
(an unchanged suite hits the cache; a changed instruction misses it for queries only)."""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embedgate.run.fingerprint import probe_texts
from embedgate.embedders.instructions import (
    InstructedEmbedder, instructed, query_instruction, suite_instruction,
)
from embedgate.embedders.serve import OpenAIEmbeddingsServer
from embedgate.encode.setup import EncodeOverrides
from embedgate.infra.errors import InputError
from embedgate.run.runner import run_suite
from embedgate.suite import load_suite

from tests.conftest import write_beir
from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.fakes.servers.openai_embeddings import hashed_encoder

TEMPLATE = "Instruct: {instruction}\\nQuery: "
DOCS = [{"_id": f"d{i}", "text": f"document {i} about topic {i % 3}"} for i in range(6)]
QUERIES = [{"_id": f"q{i}", "text": f"topic {i}"} for i in range(3)]
QRELS = [(f"q{i}", f"d{i}", 1) for i in range(3)]


class Recording:
    """The server's encoder, keeping every text the model was given (after the probe)."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self._encode = hashed_encoder(16)
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str], role: str) -> np.ndarray:
        with self._lock:
            self.texts.extend((role, t) for t in texts if t != "embedgate dimension probe")
        return self._encode(texts, role)


def _suite(tmp: Path, base_url: str, instruction: str) -> Path:
    data = write_beir(tmp / "tiny", DOCS, QUERIES, QRELS)
    other = write_beir(tmp / "plain", DOCS, QUERIES, QRELS)
    path = tmp / "suite.yaml"
    path.write_text(f"""name: instructed
embedders:
  - {{id: remote, kind: openai-compatible, base_url: "{base_url}", model: hash-16,
      query_instruction_template: "{TEMPLATE}", role_body: {{query: {{input_type: query}}}}}}
datasets:
  - {{id: tiny, format: beir, path: "{data}", instruction: "{instruction}"}}
  - {{id: plain, format: beir, path: "{other}"}}
tiers:
  retrieval: {{metrics: [nDCG@5], top_k: 5}}
""", encoding="utf-8")
    return path


def _run(tmp: Path, suite: Path, name: str) -> dict:
    _, out = run_suite(load_suite(suite), tmp / name, threads=1, progress=False,
                       encode=EncodeOverrides(cache_dir=tmp / "cache"))
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_instruction_reaches_the_model_is_recorded_and_keys_the_cache(tmp_path: Path) -> None:
    model = Recording()
    with OpenAIEmbeddingsServer(model, 16, "hash-16") as server:
        suite = _suite(tmp_path, server.base_url, "Find the topic")
        cold = _run(tmp_path, suite, "cold")
        said = "Instruct: Find the topic\nQuery: "
        probes = set(probe_texts())  # the fingerprint's probe set, encoded once, uninstructed
        queries = sorted(t for role, t in model.texts if role == "query" and t not in probes)
        # tiny's queries carry the instruction, plain's do not; passages never do.
        assert queries == sorted([said + q["text"] for q in QUERIES] +
                                 [q["text"] for q in QUERIES])
        assert not any(t.startswith("Instruct") for role, t in model.texts if role == "passage")
        assert cold["embedders"]["remote"]["query_instructions"] == {"tiny": said}
        assert cold["embedders"]["remote"]["http"]["tokens_reported"] > 0
        assert cold["timings"]["encode_computed"] == len(DOCS) + 2 * len(QUERIES) + len(probes)

        model.texts.clear()
        warm = _run(tmp_path, suite, "warm")  # the same suite: everything from the cache
        assert warm["timings"]["encode_computed"] == 0 and model.texts == []
        assert warm["metrics"] == cold["metrics"]

        suite = _suite(tmp_path, server.base_url, "Find the subject")
        changed = _run(tmp_path, suite, "changed")  # tiny's queries only are new texts
        assert changed["timings"]["encode_computed"] == len(QUERIES)
        assert sorted(t for _, t in model.texts) == sorted(
            "Instruct: Find the subject\nQuery: " + q["text"] for q in QUERIES)


def test_instructed_view_encodes_instructed_queries_only() -> None:
    inner = KeywordEmbedder(dim=32)
    view = instructed(inner, "find: ")
    assert isinstance(view, InstructedEmbedder) and view.info is inner.info
    np.testing.assert_array_equal(view.encode(["cats"], "query"),
                                  inner.encode(["find: cats"], "query"))
    np.testing.assert_array_equal(view.encode(["cats"], "passage"),
                                  inner.encode(["cats"], "passage"))
    assert instructed(inner, None) is inner
    assert query_instruction("Represent this for {instruction}: ", None) is None
    assert query_instruction(None, "anything") is None


def test_a_template_without_the_placeholder_is_one_line_error(tmp_path: Path) -> None:
    suite = _suite(tmp_path, "http://127.0.0.1:9/v1", "x")
    suite.write_text(suite.read_text(encoding="utf-8").replace("{instruction}", "{task}"),
                     encoding="utf-8")
    with pytest.raises(InputError, match="query_instruction_template"):
        load_suite(suite)


def _with_own(tmp: Path, key: str) -> Path:
    suite = _suite(tmp, "http://127.0.0.1:9/v1", "Find the topic")
    text = suite.read_text(encoding="utf-8").replace(
        "role_body:", f'query_instructions: {{{key}: "Represent this query: "}}, role_body:')
    suite.write_text(text, encoding="utf-8")
    return suite


def test_an_embedders_own_instruction_wins_for_its_dataset(tmp_path: Path) -> None:
    loaded = load_suite(_with_own(tmp_path, "plain"))
    spec = loaded.suite.embedders[0]
    assert suite_instruction(spec, loaded.suite, "plain") == "Represent this query: "
    assert suite_instruction(spec, loaded.suite, "tiny") == "Instruct: Find the topic\nQuery: "
    assert suite_instruction(spec, loaded.suite, None) is None


def test_own_instruction_for_an_unknown_dataset_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r'suite.yaml:4: query_instructions: "tinny" is not a '
                                         r'dataset of this suite \(did you mean "tiny"\?\)'):
        load_suite(_with_own(tmp_path, "tinny"))
