"""Outputs are written as one unit: a full disk while report.html is written leaves the
previous results.json and report.html as they were, no temporary files, and one exit-4 line.

The full disk is simulated at the one low-level write of `infra.atomic` (`_write_fd`), failing
the second file with ENOSPC after the first was really written to disk. A read-only folder via
chmod cannot stand in for it: these tests run as root, and root writes through mode bits.
"""
from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.infra import atomic
from embedgate.infra.errors import InfraError

from tests.conftest import FIXTURES


def _fail_on(n: int, code: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the n-th staged write (1-based) fail with `code`; the others write for real."""
    real: Callable[[int, bytes], None] = atomic._write_fd
    calls: list[int] = []

    def write(fd: int, data: bytes) -> None:
        calls.append(len(data))
        if len(calls) == n:
            os.close(fd)
            raise OSError(code, os.strerror(code))
        real(fd, data)

    monkeypatch.setattr(atomic, "_write_fd", write)
    return calls


@pytest.mark.parametrize(("code", "words"), [(errno.ENOSPC, "the disk is full (ENOSPC)"),
                                             (errno.EDQUOT, "quota is exceeded (EDQUOT)"),
                                             (errno.EROFS, "read-only (EROFS)"),
                                             (errno.EACCES, "permission denied (EACCES)")])
def test_a_failed_second_file_keeps_every_previous_file_and_leaves_no_temporaries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str) -> None:
    (tmp_path / "results.json").write_text("old results", encoding="utf-8")
    (tmp_path / "report.html").write_text("old report", encoding="utf-8")
    calls = _fail_on(2, code, monkeypatch)
    with pytest.raises(InfraError) as err:
        atomic.write_all({tmp_path / "results.json": "new results",
                          tmp_path / "report.html": "new report",
                          tmp_path / "runs" / "x.trec": "never staged"})
    assert len(calls) == 2  # the first file was staged for real before the second failed
    assert (tmp_path / "results.json").read_text(encoding="utf-8") == "old results"
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "results.json"]
    assert str(err.value).startswith(f"{tmp_path / 'report.html'}: cannot write the output: ")
    assert words in str(err.value) and err.value.exit_code == 4


def test_all_files_land_together(tmp_path: Path) -> None:
    atomic.write_all({tmp_path / "a.json": "A", tmp_path / "sub" / "b.html": b"B"})
    assert (tmp_path / "a.json").read_text() == "A" and (tmp_path / "sub" / "b.html").read_bytes() == b"B"
    assert not [p for p in tmp_path.rglob("*.tmp")]


def _suite(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(f"""name: disk
embedders:
  - {{id: bm25, kind: bm25}}
datasets:
  - {{id: domain, path: {FIXTURES / 'domain'}}}
tiers:
  retrieval: {{metrics: [nDCG@10], top_k: 10}}
""", encoding="utf-8")
    return path


def test_a_run_on_a_full_disk_exits_4_and_writes_no_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", str(_suite(tmp_path)), "--out", str(out), "-q", "--no-cache"]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {out / "results.json", out / "report.html"} <= set(before)
    capsys.readouterr()
    # report.html is staged last: the disk fills while it is written, after all the others
    calls = _fail_on(len(before), errno.ENOSPC, monkeypatch)
    assert main(["run", str(_suite(tmp_path)), "--out", str(out), "-q", "--no-cache"]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"embedgate: error: {out / 'report.html'}: cannot write the output: the disk "
                   "is full (ENOSPC); make room or choose another output folder, then rerun (no "
                   "output of this step was replaced)"]
    assert len(calls) == len(before)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the previous run's files, byte for byte, and nothing else
