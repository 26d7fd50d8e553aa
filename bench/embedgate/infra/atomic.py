"""Atomic file writes: a reader sees the old file or the whole new one, never half of it."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would have.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


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
