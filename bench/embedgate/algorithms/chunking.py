"""Splitting text into chunks, as character spans ``(start, end)`` into the text given.

Every splitter returns spans, not strings, so a chunk can be traced back to its place in
the document (clause-level localisation needs that); ``text[start:end]`` is the chunk.
Splitters never return an empty or all-whitespace chunk, and a blank text has no chunk.

- `char_spans`: windows of at most `size` characters overlapping by about `overlap`, ending
  at a sentence end (else a comma, else a space) in their last quarter when one exists, never
  starting inside a Latin word (the QA tier's chunker);
- `token_spans`: windows of `size` tokens stepping by ``size - overlap`` tokens; tokens come
  from the embedder's tokenizer (character offsets) or from `fallback_tokens`;
- `sentence_spans`: whole sentences (zh 。！？； and en . ! ? ; boundaries, and line ends)
  packed up to `size` characters, the last sentences of a chunk repeated at the start of the
  next up to `overlap` characters; a sentence longer than `size` is cut by `char_spans`;
- `clause_spans`: one chunk per clause of a contract, split before headings (第X条 / 第X章,
  Article N, Section N, Clause N, numbered clauses 1. / 1.2 at a line start); a clause longer
  than `size` is packed by `sentence_spans`.
"""
from __future__ import annotations

import re
from collections.abc import Callable

Span = tuple[int, int]
Tokenizer = Callable[[str], list[Span]]  # text -> token character spans, in order

# CJK ideographs (incl. extensions and compatibility forms), kana.
CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_SENTENCE_END = "。！？!?；;\n"
_LEAD_PUNCT = "。，、；：,;:"
# One token per CJK character, else a run of characters that are neither space nor CJK.
_FALLBACK_TOKEN = re.compile(f"{CJK.pattern}|[^\\s\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                             "\uf900-\ufaff\U00020000-\U0002fa1f]+")
_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;\n]+|$)|[^.]*\.(?=\s)")
_HEADING = re.compile(
    r"^[ \t\u3000]*(?:第[0-9一二三四五六七八九十百零〇两]+[条章節节款]"
    r"|(?:Article|ARTICLE|Section|SECTION|Clause|CLAUSE)\s+[0-9IVXivx]+"
    r"|[0-9]{1,2}(?:\.[0-9]{1,2})*(?:\.|、|\s))", re.MULTILINE)


def is_cjk(char: str) -> bool:
    return CJK.match(char) is not None


def fallback_tokens(text: str) -> list[Span]:
    """Tokens when the embedder has no tokenizer: each CJK character, each other
    whitespace-delimited run (CJK characters split a run: "第3条" is 第 / 3 / 条)."""
    return [m.span() for m in _FALLBACK_TOKEN.finditer(text)]


# -- fixed characters (the QA tier's chunker) ---------------------------------------------------
def char_spans(text: str, size: int, overlap: int) -> list[Span]:
    """Windows of at most `size` characters; see the module docstring. Texts no longer than
    `size` (after stripping white space) stay whole."""
    lead = len(text) - len(text.lstrip())
    body = text.strip()
    if len(body) <= size:
        return [(lead, lead + len(body))] if body else []
    spans: list[Span] = []
    start = 0
    while start < len(body):
        end = min(start + size, len(body))
        if end < len(body):
            end = _break_before(body, start + size - size // 4, end)
        a, b = _trim(body, start, end)
        if a < b:
            spans.append((lead + a, lead + b))
        if end >= len(body):
            break
        start = min(end, _word_start(body, max(end - overlap, start + 1)))
    return spans


def _trim(text: str, a: int, b: int) -> Span:
    """As ``text[a:b].strip().lstrip(_LEAD_PUNCT).strip()``, but as a span."""
    while b > a and text[b - 1].isspace():
        b -= 1
    for skip in (str.isspace, lambda c: c in _LEAD_PUNCT, str.isspace):
        while a < b and skip(text[a]):
            a += 1
    return a, b


def _break_before(text: str, lo: int, hi: int) -> int:
    """The last position in (lo, hi] after a sentence end, else a comma, else a space, else hi."""
    for is_break in (_ends_sentence, lambda t, i: t[i - 1] in "，、：,:",
                     lambda t, i: t[i - 1].isspace()):
        for i in range(hi, lo, -1):
            if is_break(text, i):
                return i
    return hi


def _ends_sentence(text: str, i: int) -> bool:
    # "." ends a sentence only before a space: "0.9 mg/kg" and "e.g." stay whole.
    return text[i - 1] in _SENTENCE_END or (text[i - 1] == "." and text[i:i + 1].isspace())


def _word_start(text: str, i: int) -> int:
    """Move i forward past the rest of a Latin word it falls inside."""
    while 0 < i < len(text) and _latin(text[i - 1]) and _latin(text[i]):
        i += 1
    return i


def _latin(char: str) -> bool:
    return char.isalnum() and not is_cjk(char)


# -- fixed tokens --------------------------------------------------------------------------------
def token_spans(text: str, size: int, overlap: int,
                tokenize: Tokenizer = fallback_tokens) -> list[Span]:
    """Windows of `size` tokens, each starting ``size - overlap`` tokens after the last; a
    chunk runs from its first token's start to its last token's end."""
    if not 0 <= overlap < size:
        raise ValueError(f"overlap ({overlap}) must be at least 0 and below size ({size})")
    tokens = tokenize(text)
    spans: list[Span] = []
    for first in range(0, len(tokens), size - overlap):
        last = min(first + size, len(tokens)) - 1
        spans.append((tokens[first][0], tokens[last][1]))
        if last == len(tokens) - 1:
            break
    return spans


# -- sentences -----------------------------------------------------------------------------------
def sentences(text: str, lo: int = 0, hi: int | None = None) -> list[Span]:
    """Sentence spans within text[lo:hi], white space trimmed, blank ones dropped."""
    hi = len(text) if hi is None else hi
    out: list[Span] = []
    pos = lo
    while pos < hi:
        end = _sentence_end(text, pos, hi)
        a, b = _trim(text, pos, end)
        if a < b:
            out.append((a, b))
        pos = end
    return out


def _sentence_end(text: str, pos: int, hi: int) -> int:
    """The position just after the sentence that starts at `pos` (its closing marks included)."""
    i = pos
    while i < hi:
        if text[i] in _SENTENCE_END or (text[i] == "." and (i + 1 >= hi or text[i + 1].isspace())):
            while i < hi and (text[i] in _SENTENCE_END or text[i] == "."):
                i += 1
            return i
        i += 1
    return hi


def sentence_spans(text: str, size: int, overlap: int = 0, lo: int = 0,
                   hi: int | None = None) -> list[Span]:
    """Sentences of text[lo:hi] packed up to `size` characters; see the module docstring."""
    units: list[Span] = []
    for a, b in sentences(text, lo, hi):
        if b - a <= size:
            units.append((a, b))
        else:  # one over-long sentence: cut it, keeping the cuts' own overlap
            units.extend((a + s, a + e) for s, e in char_spans(text[a:b], size, overlap))
    spans: list[Span] = []
    i = 0
    while i < len(units):
        j = i + 1
        while j < len(units) and units[j][1] - units[i][0] <= size:
            j += 1
        spans.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        i = _back_up(units, i, j, size, overlap)
    return spans


def _back_up(units: list[Span], i: int, j: int, size: int, overlap: int) -> int:
    """The first unit of the next chunk: the last units of this one that fit in `overlap`
    characters and leave room for the next new unit, never the whole chunk again (so every
    chunk moves forward)."""
    k = j
    while (k - 1 > i and units[j - 1][1] - units[k - 1][0] <= overlap
           and units[j][1] - units[k - 1][0] <= size):
        k -= 1
    return k


# -- clauses -------------------------------------------------------------------------------------
def clause_starts(text: str) -> list[int]:
    """Where each heading begins (its line's first non-blank character)."""
    return [m.start() + len(m.group(0)) - len(m.group(0).lstrip(" \t\u3000"))
            for m in _HEADING.finditer(text)]


def clause_spans(text: str, size: int, overlap: int = 0) -> list[Span]:
    """One chunk per clause (text before the first heading is a chunk of its own)."""
    cuts = [0, *[s for s in clause_starts(text) if s > 0], len(text)]
    spans: list[Span] = []
    for lo, hi in zip(cuts, cuts[1:]):
        a, b = _trim(text, lo, hi)
        if a >= b:
            continue
        spans.extend([(a, b)] if b - a <= size else sentence_spans(text, size, overlap, a, b))
    return spans
