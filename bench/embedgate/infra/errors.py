"""Error types the CLI maps to exit codes. Messages are one line: what, where, how to fix."""
from __future__ import annotations


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
