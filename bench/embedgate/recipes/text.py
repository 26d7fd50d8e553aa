"""Text helpers for recipes: a normal form for leak checks and BM25 tokens for CJK + Latin."""
from __future__ import annotations

import re
import unicodedata

# CJK Unified Ideographs (+ extension A) and runs of Latin letters / digits.
_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[^\W_\u3400-\u4dbf\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def normalise(text: str) -> str:
    """NFKC, case-folded, with whitespace and punctuation removed.

    Two queries that differ only in width, case, spacing or punctuation ("心肌缺血？" and
    "心肌缺血?") get the same normal form, so the leak guard treats them as the same query.

    >>> normalise("  What is  Force-Majeure? ") == normalise("what is force majeure")
    True
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def bm25_tokens(text: str) -> list[str]:
    """Tokens for BM25: Chinese as character unigrams + bigrams, other scripts as words.

    Chinese has no spaces, and a word segmenter (jieba) is not in the stack; unigrams catch
    shared characters and bigrams most two-character words, the usual segmentation-free
    baseline for Chinese BM25.

    >>> bm25_tokens("心肌缺血ECG")
    ['心', '肌', '缺', '血', '心肌', '肌缺', '缺血', 'ecg']
    """
    tokens: list[str] = []
    for run in _RUNS.findall(unicodedata.normalize("NFKC", text).casefold()):
        if _CJK.match(run):
            tokens.extend(run)
            tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run)
    return tokens
