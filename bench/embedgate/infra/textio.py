"""Reading the user's files: every way a path or its bytes can be wrong is one InputError.

A NUL byte in the name, a missing file, a directory where a file belongs, an unreadable file
and bytes that are not UTF-8 all name the file (and `:line`, with the bad byte, where there is
one) and say how to fix it. Loaders read through `read_lines` / `read_text` and never see them.
"""
from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InputError


def check_name(path: Path | str, what: str = "path") -> Path:
    """`path` as a Path; a NUL byte (which no file system allows) is bad input."""
    text = str(path)
    if "\0" in text:
        shown = text.replace("\0", "\\0")
        raise InputError(f"{shown}: the {what} contains a NUL byte (\\0); remove it from the path")
    return Path(path)


def resolve_under(base: Path, path: Path) -> Path:
    """`path` made absolute against `base` with symlinks resolved where possible; a symlink
    loop (Path.resolve raises RuntimeError for one on Python < 3.13) stays unresolved, so the
    reader that opens it reports it as one line instead of an internal error."""
    if path.is_absolute():
        return path
    try:
        return (base / path).resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(base / path))


def special_path(p: Path, what: str) -> str | None:
    """Why `p` is neither a readable file nor a folder (a symlink loop, a FIFO, a device, a
    socket), as a message; None when it is a file, a folder, or simply absent."""
    try:
        mode = p.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return (f"{p}: is a symlink loop (the link leads back to itself); point the {what} "
                    "at a real file or folder")
        return None  # absent (or unreadable): the caller's own "not found" says it
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file")
    return f"{p}: is {kind}, not a regular file or folder; point the {what} at a real one"


def check_file(path: Path | str, what: str = "file") -> Path:
    """An existing, readable regular file, or one clear line saying what is wrong."""
    p = check_name(path, what)
    if (problem := special_path(p, what)) is not None:
        raise InputError(problem)
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a {what}; pass the {what} itself")
    if not p.exists():
        raise InputError(f"{p}: {what} not found; check the path")
    if not p.is_file():
        raise InputError(f"{p}: is not a regular file; pass the {what} itself")
    return p


def read_bytes(path: Path, what: str = "file") -> bytes:
    p = check_file(path, what)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read the {what} ({exc.strerror}); check its "
                         "permissions") from None


def utf8_error(path: Path, data: bytes, exc: UnicodeDecodeError, offset: int = 0) -> InputError:
    """`file:line: not valid UTF-8 (byte 0xff at column c)` for a decode error at `offset + exc.start`."""
    pos = offset + exc.start
    line = data.count(b"\n", 0, pos) + 1
    column = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return InputError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[pos]:02x} at column "
                      f"{column}); save the file as UTF-8")


def read_text(path: Path, what: str = "file") -> str:
    """The whole file as text (a leading BOM dropped)."""
    data = read_bytes(path, what)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise utf8_error(path, data, exc) from None


def read_lines(path: Path, what: str = "file", data: bytes | None = None
               ) -> Iterator[tuple[int, str]]:
    """(line number, text without its line break) for each line; bad bytes name file:line."""
    if data is None:
        data = read_bytes(path, what)
    start = 0
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise utf8_error(path, data, exc, start) from None
        start += len(raw) + 1
        yield lineno, (text.removeprefix("\ufeff") if lineno == 1 else text).rstrip("\r")


# A \uXXXX escape in the UTF-16 surrogate range. JSON lets one stand alone ("\ud800"), Python's
# json decodes it to a lone surrogate, and the first UTF-8 encode (a cache key, the report)
# fails far from the file; refuse it where the file is read.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def refuse_lone_surrogates(value: Any, raw: str, path: Path, lineno: int | None = None) -> None:
    """InputError naming file:line when the JSON `value` parsed from `raw` holds a lone UTF-16
    surrogate; a cheap scan of `raw` first, so clean files pay almost nothing."""
    if not _SURROGATE_ESCAPE.search(raw):
        return
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        escape = f"\\u{ord(exc.object[exc.start]):04x}"
        if lineno is None:
            found = re.search(re.escape(escape), raw, re.IGNORECASE)
            lineno = raw.count("\n", 0, found.start() if found else 0) + 1
        raise InputError(f"{path}:{lineno}: a lone UTF-16 surrogate escape ({escape}) in a JSON "
                         "string is not text; remove it, or write the whole pair (e.g. "
                         "\\ud83d\\ude00) or the character itself") from None
