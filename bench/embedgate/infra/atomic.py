"""Atomic file writes: a reader sees the old files or the whole new set, never half of it.

`write_all` is the one writer: it stages every file of a set (a run's results.json,
report.html, TREC runs, leaderboards) under a temporary name beside its target, fsyncs each,
and only when all are staged renames them into place. A failure while staging (disk full,
quota, read-only, permission) removes the temporary files and leaves every previous output
untouched; it is an `InfraError` (exit 4) naming the path, not a bug. The renames are the
commit: they need no new data blocks, so a full disk cannot stop them halfway.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InfraError, InputError

# The environment refusing a write, in words a user can act on.
_REASONS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
            errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied", errno.EIO: "an I/O error",
            errno.EFBIG: "the file is too large for the file system"}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def output_error(path: Path, exc: OSError) -> InfraError:
    """One line for an output that could not be written (exit 4), naming the path."""
    reason = _REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    code = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return InfraError(f"{path}: cannot write the output: {reason} ({code}); make room or "
                      "choose another output folder, then rerun (no output of this step was "
                      "replaced)")


def _write_fd(fd: int, data: bytes) -> None:
    """The low-level write of one staged file (the seam the full-disk tests replace)."""
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _stage(path: Path, data: bytes, staged: list[str]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    staged.append(tmp)
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp creates 0600; give the mode open() would
    _write_fd(fd, data)
    return tmp


def _sync_dirs(paths: list[Path]) -> None:
    for folder in {p.parent for p in paths}:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue  # some systems cannot open a folder; the renames are done regardless
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def write_all(files: Mapping[Path, bytes | str]) -> None:
    """Write every file of `files` or none: stage all, then rename all (text as UTF-8)."""
    staged: list[str] = []
    current = Path(".")
    try:
        for current, data in files.items():
            _stage(current, data.encode("utf-8") if isinstance(data, str) else data, staged)
        for tmp, target in zip(staged, files, strict=True):
            current = target
            os.replace(tmp, target)
    except BaseException as exc:
        for tmp in staged:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise output_error(current, exc) from None
        raise
    _sync_dirs(list(files))


def write_bytes(path: Path, data: bytes) -> None:
    write_all({path: data})


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def json_text(obj: Any) -> str:
    """The JSON text every output file of embedgate uses (indented, UTF-8, trailing newline)."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json_text(obj))


def check_writable_dir(directory: Path, option: str = "--out") -> Path:
    """Prove `directory` can be created and written atomically, before any expensive work.

    A NUL byte in the name, a regular file on the way, a read-only or immutable folder: one
    InputError naming the folder and `option`, instead of a failure after the models ran.
    Leaves nothing behind: a bad run must not leave an empty output folder either.
    """
    shown = str(directory).replace("\0", "\\0")
    if "\0" in str(directory):
        raise InputError(f"{shown}: the {option} path contains a NUL byte (\\0); remove it")
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent  # the nearest folder that is already there
    if not existing.is_dir():
        raise InputError(f"{shown}: cannot be an output directory ({existing} is a file); "
                         f"choose another {option}")
    try:
        Path(tempfile.mkdtemp(prefix=".embedgate-probe-", dir=existing)).rmdir()
    except OSError as exc:
        raise InputError(f"{shown}: cannot write there ({existing}: {exc.strerror}); choose a "
                         f"writable {option}") from None
    return directory


def check_writable_file(path: Path, option: str) -> Path:
    """The folder of an output file (`--junit`, `--md` …) takes an atomic write; `path` is no folder."""
    if "\0" not in str(path) and path.is_dir():
        raise InputError(f"{path}: is a directory; give {option} a file name")
    check_writable_dir(path.parent, option)
    return path
