"""Reading the user's files: every way a path or its bytes can be wrong is one InputError.

A NUL byte in the name, a missing file, a directory where a file belongs, an unreadable file
and bytes that are not UTF-8 all name the file (and `:line`, with the bad byte, where there is
one) and say how to fix it. Loaders read through `read_lines` / `read_text` and never see them.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from embedgate.infra.errors import InputError


def check_name(path: Path | str, what: str = "path") -> Path:
    """`path` as a Path; a NUL byte (which no file system allows) is bad input."""
    text = str(path)
    if "\0" in text:
        shown = text.replace("\0", "\\0")
        raise InputError(f"{shown}: the {what} contains a NUL byte (\\0); remove it from the path")
    return Path(path)


def check_file(path: Path | str, what: str = "file") -> Path:
    """An existing, readable regular file, or one clear line saying what is wrong."""
    p = check_name(path, what)
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
