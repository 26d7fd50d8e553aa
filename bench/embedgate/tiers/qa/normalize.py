"""SQuAD-style answer normalisation, exact match and token F1 for English, Chinese and mixed text.

English follows the SQuAD v1.1 script (lower-case, drop ASCII punctuation and the articles
a/an/the, split on whitespace). Chinese has no spaces, so, as in the CMRC 2018 script, every CJK
character is one token, runs of Latin letters and digits stay whole words, and non-ASCII
punctuation (、，。“”) separates tokens instead of gluing its neighbours ("5.1、8.5" is two
numbers); text that mixes both ("ST段抬高", "90分钟") is segmented the same way, so one rule
serves every language. `contains` (answer-in-passage) uses DPR's has_answer tokenisation instead.

>>> tokens("The 90分钟, window!")
['90', '分', '钟', 'window']
>>> round(f1("3 to 6 months", "about 3 to 6 months"), 3)
0.889
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable

from embedgate.algorithms.chunking import CJK, is_cjk

_ARTICLES = frozenset({"a", "an", "the"})
_ASCII_PUNCT = frozenset(string.punctuation)


def _is_separator(char: str) -> bool:
    # Non-ASCII punctuation (。，、“” …) and white space end a token; apostrophes do not.
    return char.isspace() or (unicodedata.category(char).startswith("P") and char not in "’‘")


def tokens(text: str) -> list[str]:
    """Normalised tokens: lower-cased, punctuation and articles dropped, CJK per character."""
    out: list[str] = []
    word: list[str] = []

    def flush() -> None:
        if word:
            token = "".join(word)
            if token not in _ARTICLES:
                out.append(token)
            word.clear()

    for char in unicodedata.normalize("NFKC", text).lower():
        if char in _ASCII_PUNCT or char in "’‘":
            continue  # SQuAD removes ASCII punctuation without splitting: "mid-outer" -> "midouter"
        if _is_separator(char):
            flush()
        elif is_cjk(char):
            flush()
            out.append(char)
        else:
            word.append(char)
    flush()
    return out


def normalize(text: str) -> str:
    """The normalised answer string (tokens joined by a space), the form EM compares."""
    return " ".join(tokens(text))


def exact_match(prediction: str, gold: str) -> float:
    return float(tokens(prediction) == tokens(gold))


def f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 (bag-of-tokens overlap); two empty answers match, one empty scores 0."""
    pred, ref = tokens(prediction), tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best(metric: str, prediction: str, golds: Iterable[str]) -> float:
    """SQuAD takes the best score over the gold answers; metric is "em" or "f1"."""
    fn = exact_match if metric == "em" else f1
    return max((fn(prediction, g) for g in golds), default=0.0)


def dpr_tokens(text: str) -> list[str]:
    """DPR's has_answer tokens: lower-cased letter/digit runs and single other non-space chars.

    CJK characters are single tokens too. Nothing is dropped, so "<0.70" and "8.5 mmol/L" are
    found inside "FEV1/FVC<0.70" and "5.1、8.5 mmol/L".
    """
    return _DPR_TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


# one CJK character | a run of letters/digits that are not CJK | any other non-space character
_DPR_TOKEN = re.compile(rf"{CJK.pattern}|(?:(?!{CJK.pattern})[^\W_])+|\S")


def contains(text: str, golds: Iterable[str]) -> bool:
    """Does `text` contain any gold answer as a whole-token sequence (DPR's has_answer)?

    "30" is not found inside "300"; answers that tokenise to nothing never match.
    """
    hay = dpr_tokens(text)
    for gold in golds:
        needle = dpr_tokens(gold)
        if needle and _has_sublist(hay, needle):
            return True
    return False


def _has_sublist(hay: list[str], needle: list[str]) -> bool:
    n = len(needle)
    first = needle[0]
    return any(hay[i] == first and hay[i:i + n] == needle for i in range(len(hay) - n + 1))
