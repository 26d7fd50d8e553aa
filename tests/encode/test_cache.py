"""Embedding cache: hits and misses, fingerprints, corruption, degraded modes, CLI."""
from __future__ import annotations

import dataclasses
import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from embedgate.encode.cache import EmbeddingCache, fingerprint, text_key
from embedgate.encode.locations import DB_NAME
from embedgate.cli.entry import main
from embedgate.suite import RetrievalTier
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import load_beir
from embedgate.encode.pipeline import EncodeOptions, EncodePipeline
from embedgate.tiers import retrieval

from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder

TEXTS = ["red apples grow on trees", "bananas are yellow", "fast red cars", "trees in forests",
         "red apples grow on trees", "stock prices fell"]


def _pipeline(tmp_path: Path, **kw: object) -> EncodePipeline:
    return EncodePipeline.create(EncodeOptions(cache_dir=tmp_path / "cache", **kw))  # type: ignore[arg-type]


def _computed_texts(emb: KeywordEmbedder) -> int:
    return sum(n for n, _ in emb.calls)


def test_second_call_is_all_hits_and_equal(tmp_path: Path) -> None:
    pipe, emb = _pipeline(tmp_path, commit_every=2), KeywordEmbedder()
    first = pipe(emb, TEXTS, "passage")
    assert _computed_texts(emb) == 5  # the repeated text is encoded once
    assert (pipe.stats.computed, pipe.stats.cache_hits, pipe.stats.duplicates) == (5, 0, 1)
    second = pipe(emb, TEXTS, "passage")
    assert _computed_texts(emb) == 5 and pipe.stats.cache_hits == 5
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, KeywordEmbedder().encode(TEXTS, "passage"))
    # a fresh pipeline (a later run) on the same folder hits too
    again = _pipeline(tmp_path)
    np.testing.assert_array_equal(again(KeywordEmbedder(), TEXTS, "passage"), first)
    assert again.stats.computed == 0


@pytest.mark.parametrize("change", [{"query_prefix": "query: "}, {"max_seq_length": 128},
                                    {"weights_sha256": "1" * 64}, {"precision": "int8"},
                                    {"pooling": "cls"}, {"normalize": False}])
def test_fingerprint_changes_miss(tmp_path: Path, change: dict) -> None:
    pipe, emb = _pipeline(tmp_path), KeywordEmbedder()
    pipe(emb, TEXTS, "query")
    other = KeywordEmbedder()
    other.info = dataclasses.replace(other.info, **change)
    assert fingerprint(other.info, "query") != fingerprint(emb.info, "query")
    pipe(other, TEXTS, "query")
    assert _computed_texts(other) == 5 and pipe.stats.cache_hits == 0


def test_role_shares_vectors_only_when_prefixes_match(tmp_path: Path) -> None:
    emb = KeywordEmbedder()
    assert fingerprint(emb.info, "query") == fingerprint(emb.info, "passage")
    emb.info = dataclasses.replace(emb.info, query_prefix="q: ")
    assert fingerprint(emb.info, "query") != fingerprint(emb.info, "passage")
    # batch size and id do not change vectors, so they do not change the fingerprint
    renamed = dataclasses.replace(emb.info, id="other", extra={"batch_size": 8})
    assert fingerprint(renamed, "passage") == fingerprint(emb.info, "passage")


def test_corrupted_entry_is_recomputed_with_a_warning(tmp_path: Path, caplog) -> None:
    pipe, emb = _pipeline(tmp_path), KeywordEmbedder()
    expected = np.array(pipe(emb, TEXTS, "passage"))
    pipe.close()
    with sqlite3.connect(tmp_path / "cache" / DB_NAME) as conn:
        (blob,) = conn.execute("SELECT vector FROM embeddings WHERE text_sha256 = ?",
                               (text_key(TEXTS[1]),)).fetchone()
        bad = bytearray(blob)
        bad[5] ^= 0xFF
        conn.execute("UPDATE embeddings SET vector = ? WHERE text_sha256 = ?",
                     (bytes(bad), text_key(TEXTS[1])))
    again, emb2 = _pipeline(tmp_path), KeywordEmbedder()
    with caplog.at_level(logging.WARNING, logger="embedgate"):
        got = again(emb2, TEXTS, "passage")
    assert "corrupted entry" in caplog.text and "recomputing" in caplog.text
    assert emb2.calls == [(1, "passage")] and again.stats.corrupted == 1
    np.testing.assert_array_equal(got, expected)
    third = _pipeline(tmp_path)  # the recomputed vector was stored again
    third(KeywordEmbedder(), TEXTS, "passage")
    assert third.stats.computed == 0 and third.stats.corrupted == 0


def test_unwritable_dir_degrades_to_no_cache(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # works as root too, unlike chmod
    with caplog.at_level(logging.WARNING, logger="embedgate"):
        pipe = EncodePipeline.create(EncodeOptions(cache_dir=blocker / "cache"))
        got = pipe(KeywordEmbedder(), TEXTS, "passage")
        pipe(KeywordEmbedder(), TEXTS, "passage")
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert "running without a cache" in caplog.text
    np.testing.assert_array_equal(got, KeywordEmbedder().encode(TEXTS, "passage"))
    assert pipe.describe()["cache"].startswith("off")


def test_full_disk_degrades_with_one_warning(tmp_path: Path, caplog) -> None:
    pipe = _pipeline(tmp_path, commit_every=1)
    assert pipe.cache is not None
    # SQLite reports a capped database exactly as a full disk: "database or disk is full".
    conn = pipe.cache._conn
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    many = [f"text number {i} " + "pad " * 20 for i in range(400)]
    with caplog.at_level(logging.WARNING, logger="embedgate"):
        got = pipe(KeywordEmbedder(), many, "passage")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "full" in warnings[0].getMessage()
    assert not pipe.cache.enabled and pipe.stats.computed == 400
    np.testing.assert_array_equal(got, KeywordEmbedder().encode(many, "passage"))


def test_retrieval_tier_through_cache_equals_plain(tmp_path: Path) -> None:
    data = load_beir("domain", FIXTURES / "domain", "test")
    params = RetrievalTier(metrics=["nDCG@10", "RR@10"], top_k=20)
    plain = retrieval.run(KeywordEmbedder(), data, params, RunContext())
    pipe = _pipeline(tmp_path)
    cold = pipe.record(retrieval.run(KeywordEmbedder(), data, params, RunContext(encode_fn=pipe)))
    warm = pipe.record(retrieval.run(KeywordEmbedder(), data, params, RunContext(encode_fn=pipe)))
    assert [m.value for m in cold.metrics] == [m.value for m in plain.metrics]
    assert [m.value for m in warm.metrics] == [m.value for m in plain.metrics]
    n = len(data.doc_ids) + len(data.queries)
    assert cold.details["encode"]["computed"] > 0 and cold.details["encode"]["cache"] == "on"
    assert warm.details["encode"]["computed"] == 0
    assert warm.details["encode"]["cache_hits"] + warm.details["encode"]["duplicates"] == n


def test_cache_info_and_prune_cli(tmp_path: Path, capsys) -> None:
    pipe = _pipeline(tmp_path)
    emb, other = KeywordEmbedder(), KeywordEmbedder()
    other.info = dataclasses.replace(other.info, query_prefix="q: ")
    pipe(emb, TEXTS, "passage")
    pipe(other, TEXTS[:2], "query")
    pipe.close()
    cache_dir = str(tmp_path / "cache")
    assert main(["cache", "--cache-dir", cache_dir, "info"]) == 0
    out = capsys.readouterr().out
    assert "7 vectors" in out and "2 embedder fingerprints" in out and "'q: '" in out
    fp = fingerprint(other.info, "query")
    assert main(["cache", "--cache-dir", cache_dir, "prune", "--embedder", fp[:12]]) == 0
    assert "removed 2 vectors; 5 left" in capsys.readouterr().out
    assert main(["cache", "--cache-dir", cache_dir, "prune", "--older-than", "1"]) == 0
    assert "removed 0 vectors; 5 left" in capsys.readouterr().out
    assert main(["cache", "--cache-dir", cache_dir, "prune", "--all"]) == 0
    assert "removed 5 vectors; 0 left" in capsys.readouterr().out
    assert main(["cache", "--cache-dir", str(tmp_path / "none"), "info"]) == 2


def test_open_returns_none_on_a_non_database(tmp_path: Path, caplog) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with caplog.at_level(logging.WARNING, logger="embedgate"):
        assert EmbeddingCache.open(tmp_path) is None
    assert "running without a cache" in caplog.text


def test_cache_dir_precedence(tmp_path: Path, write_suite, monkeypatch) -> None:
    from embedgate.suite import load_suite
    from embedgate.encode.setup import EncodeOverrides, encode_options

    body = ("name: p\nembedders: [{id: m, kind: sentence-transformers, model: m}]\ntiers: {}\n"
            "cache: {dir: suite-cache, commit_every: 7}\n")
    loaded = load_suite(write_suite(body))
    out = tmp_path / "out"
    monkeypatch.delenv("EMBEDGATE_CACHE_DIR")
    assert encode_options(loaded, EncodeOverrides(), out).cache_dir == tmp_path / "suite-cache"
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "env"))
    opts = encode_options(loaded, EncodeOverrides(), out)
    assert opts.cache_dir == tmp_path / "env" and opts.commit_every == 7
    cli = encode_options(loaded, EncodeOverrides(cache_dir=tmp_path / "cli"), out)
    assert cli.cache_dir == tmp_path / "cli"
    off = encode_options(loaded, EncodeOverrides(no_cache=True), out)
    assert off.cache_dir is None and off.cache_off_reason == "--no-cache"
    disabled = load_suite(write_suite(body.replace("dir: suite-cache", "enabled: false"), "d.yaml"))
    assert encode_options(disabled, EncodeOverrides(), out).cache_dir is None
    assert encode_options(loaded, EncodeOverrides(), out).scratch_dir == out / ".scratch"
