"""Lexical text helpers: BM25 tokens (CJK characters + bigrams, other scripts as words) and
the normal form the leak guards compare queries by.

Chinese has no spaces and no word segmenter is in the stack, so a CJK run becomes its
character unigrams and bigrams (the usual segmentation-free Chinese BM25 baseline: unigrams
catch shared characters, bigrams most two-character words). Other runs of letters and digits
are words. For English words an `Analyzer` can drop Lucene's 33 English stop words and apply
the Porter stemmer (PyStemmer), which is what Anserini's BEIR BM25 baselines do
(EnglishAnalyzer), so a SciFact figure can be set beside theirs.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# CJK Unified Ideographs (+ extension A) and runs of other letters / digits.
_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[^\W_\u3400-\u4dbf\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ASCII_WORD = re.compile(r"[a-z]+")

# org.apache.lucene.analysis.en.EnglishAnalyzer.ENGLISH_STOP_WORDS_SET
LUCENE_ENGLISH_STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split())


def normalise(text: str) -> str:
    """NFKC, case-folded, with whitespace and punctuation removed.

    Two queries that differ only in width, case, spacing or punctuation ("心肌缺血？" and
    "心肌缺血?") get the same normal form, so the leak guard treats them as the same query.

    >>> normalise("  What is  Force-Majeure? ") == normalise("what is force majeure")
    True
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def cjk_tokens(run: str) -> list[str]:
    """Character unigrams then bigrams of one CJK run."""
    return list(run) + [run[i:i + 2] for i in range(len(run) - 1)]


def bm25_tokens(text: str) -> list[str]:
    """Plain tokens: NFKC, case-folded, CJK unigrams + bigrams, other runs as words.

    >>> bm25_tokens("心肌缺血ECG")
    ['心', '肌', '缺', '血', '心肌', '肌缺', '缺血', 'ecg']
    """
    tokens: list[str] = []
    for run in _RUNS.findall(unicodedata.normalize("NFKC", text).casefold()):
        tokens.extend(cjk_tokens(run) if _CJK.match(run) else [run])
    return tokens


@dataclass
class Analyzer:
    """`bm25_tokens` with optional English stop-word removal and Porter stemming.

    Stemming and stop words touch only ASCII words, so Chinese tokens and numbers pass as is.

    >>> Analyzer(stem=True, stopwords=True).tokens("The cells were dividing in 2 mice")
    ['cell', 'were', 'divid', '2', 'mice']
    """

    stem: bool = False
    stopwords: bool = False
    _stemmer: Any = field(default=None, init=False, repr=False)
    _memo: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def tokens(self, text: str) -> list[str]:
        out = bm25_tokens(text)
        if self.stopwords:
            out = [t for t in out if t not in LUCENE_ENGLISH_STOPWORDS]
        if self.stem:
            out = [self._stem(t) if _ASCII_WORD.fullmatch(t) else t for t in out]
        return out

    def _stem(self, word: str) -> str:
        hit = self._memo.get(word)
        if hit is None:
            if self._stemmer is None:
                import Stemmer  # PyStemmer: a C extension, imported only when stemming

                self._stemmer = Stemmer.Stemmer("porter")
            hit = self._memo[word] = self._stemmer.stemWord(word)
        return hit

    def describe(self) -> dict[str, Any]:
        return {"cjk": "unigrams+bigrams", "case": "folded (NFKC)",
                "stopwords": "lucene-english-33" if self.stopwords else "none",
                "stemmer": "porter (PyStemmer)" if self.stem else "none"}
