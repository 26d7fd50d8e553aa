"""The cache under two writers at once and under SIGKILL (real subprocesses)."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from embedgate.encode.locations import DB_NAME
from embedgate.encode.pipeline import EncodeOptions, EncodePipeline

from tests.fakes.cache_worker import synthetic_texts
from tests.conftest import ROOT
from tests.fakes.keyword_embedder import KeywordEmbedder


def _worker(cache: Path, out: Path, start: int, stop: int, every: int,
            sleep_s: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.fakes.cache_worker", str(cache), str(out),
                             str(start), str(stop), str(every), str(sleep_s)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _count(cache: Path) -> int:
    try:
        with sqlite3.connect(cache / DB_NAME, timeout=30) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_two_concurrent_writers_share_one_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    a = _worker(cache, tmp_path / "a.npy", 0, 300, 10, 0.03)  # ~1 s each: they overlap
    b = _worker(cache, tmp_path / "b.npy", 150, 450, 10, 0.03)  # and share 150 texts
    for proc in (a, b):
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "cache" not in err, err  # no lock error, no warning
    expected = KeywordEmbedder().encode(synthetic_texts(0, 450), "passage")
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), expected[:300])
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), expected[150:])
    assert _count(cache) == 450
    reader = EncodePipeline.create(EncodeOptions(cache_dir=cache))
    np.testing.assert_array_equal(reader(KeywordEmbedder(), synthetic_texts(0, 450), "passage"),
                                  expected)
    assert reader.stats.computed == 0 and reader.stats.corrupted == 0


def test_sigkill_mid_run_loses_no_finished_batch(tmp_path: Path) -> None:
    cache, every, total = tmp_path / "cache", 10, 400
    proc = _worker(cache, tmp_path / "never.npy", 0, total, every, 0.05)
    deadline = time.monotonic() + 60
    seen = 0
    while seen < 100 and time.monotonic() < deadline:
        seen = _count(cache)
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL and not (tmp_path / "never.npy").exists()
    kept = _count(cache)
    assert 100 <= seen <= kept < total  # every batch committed before the kill is still there
    assert kept % every == 0  # and no half batch: a chunk commits whole or not at all
    resumed = EncodePipeline.create(EncodeOptions(cache_dir=cache, commit_every=every))
    emb = KeywordEmbedder()
    got = resumed(emb, synthetic_texts(0, total), "passage")
    assert resumed.stats.cache_hits == kept and sum(n for n, _ in emb.calls) == total - kept
    np.testing.assert_array_equal(got, KeywordEmbedder().encode(synthetic_texts(0, total),
                                                                "passage"))
