"""The CLI's argument parser and value types: every bad option is one line and exit 2.

argparse prints a usage dump and "prog: error: ..." on its own; `Parser.error` prints the one
`embedgate: error: <what>; see embedgate <cmd> --help` line instead. Numeric options use the
checked types below, never a bare `int` / `float` (a test walks the parser to keep it so).

>>> positive_int("4")
4
"""
from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import NoReturn


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one `embedgate: error:` line (exit 2), no usage dump."""

    def error(self, message: str) -> NoReturn:
        print(f"embedgate: error: {message}; see {self.prog} --help", file=sys.stderr)
        self.exit(2)


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _float(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def int_range(lo: int, hi: int | None = None, what: str = "") -> Callable[[str], int]:
    """An argparse type for whole numbers in [lo, hi] (hi None: no upper bound)."""

    def check(text: str) -> int:
        value = _int(text)
        if value < lo or (hi is not None and value > hi):
            span = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise argparse.ArgumentTypeError(f"{value} is out of range; give {what or 'a number'}"
                                             f" {span}")
        return value

    check.__name__ = "int_range"
    return check


def float_range(lo: float, hi: float | None = None, *, open_lo: bool = False,
                open_hi: bool = False, what: str = "") -> Callable[[str], float]:
    """An argparse type for finite numbers in [lo, hi] (open ends excluded when asked)."""

    def check(text: str) -> float:
        value = _float(text)
        low_bad = value <= lo if open_lo else value < lo
        high_bad = hi is not None and (value >= hi if open_hi else value > hi)
        if low_bad or high_bad:
            lo_s = f"{'>' if open_lo else '>='} {lo:g}"
            hi_s = f" and {'<' if open_hi else '<='} {hi:g}" if hi is not None else ""
            raise argparse.ArgumentTypeError(f"{value:g} is out of range; give {what or 'a number'}"
                                             f" {lo_s}{hi_s}")
        return value

    check.__name__ = "float_range"
    return check


MAX_THREADS = 4096
positive_int = int_range(1, what="a whole number")
threads = int_range(1, MAX_THREADS, what="a thread count")
port = int_range(1, 65535, what="a TCP port")
seed = int_range(0, 2**32 - 1, what="a seed")
seq_length = int_range(1, 8192, what="a token count")


def positive_int_list(text: str) -> list[int]:
    """Comma-separated whole numbers >= 1, e.g. ``10000,100000``."""
    values = [positive_int(part) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r} holds no number; give e.g. 1000,10000")
    return values


positive_int_list.__name__ = "int_range"
days = float_range(0.0, what="a number of days")
probability = float_range(0.0, 1.0, open_lo=True, open_hi=True, what="a level")


def is_checked(type_: object) -> bool:
    """True for the types above; bare int / float let negative and NaN values through."""
    return getattr(type_, "__name__", "") in ("int_range", "float_range")
