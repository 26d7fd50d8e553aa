"""Error types the CLI maps to exit codes. Messages are one line: what, where, how to fix."""
from __future__ import annotations

from collections.abc import Callable, Iterable


class EmbedgateError(Exception):
    """Base class; `exit_code` is what the CLI returns."""

    exit_code = 1


class InputError(EmbedgateError):
    """Bad input from the user (suite, data, paths, options): exit 2, one clear line."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        # User text quoted in a message (a key, a metric) may hold line breaks; the CLI
        # promises one line, so they become spaces here rather than in every caller.
        super().__init__(" ".join(str(message).split("\n")).replace("\r", " "))


class InfraError(EmbedgateError):
    """The environment failed (a model failed to load, a server did not answer): exit 4."""

    exit_code = 4


def did_you_mean(word: str, options: list[str] | set[str] | tuple[str, ...]) -> str:
    """Return ' (did you mean "x"?)' for the closest option, or '' when none is close."""
    import difflib

    match = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def unknown(what: str, name: str, known: Iterable[str], listing: str = "declared") -> str:
    """The one wording of a reference to nothing: what, the closest name, and what exists.

    >>> unknown("dataset", "domian", ["domain", "legal"])
    'unknown dataset "domian" (did you mean "domain"?); declared: domain, legal'
    """
    options = list(known)
    return (f'unknown {what} "{name}"{did_you_mean(name, options)}; '
            f"{listing}: {', '.join(options) or 'none'}")


def check_known(refs: Iterable[str], known: Iterable[str], what: str,
                where: Callable[[int, str], str]) -> None:
    """InputError for the first of `refs` not in `known`, located by ``where(index, ref)`` (its
    file:line and key), worded by `unknown`; `known` is listed in the order given."""
    options = list(known)
    for i, ref in enumerate(refs):
        if ref not in options:
            raise InputError(f"{where(i, ref)}: " + unknown(what, ref, options))
