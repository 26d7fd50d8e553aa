"""SQuAD normalisation, EM and token F1 on hand-made English, Chinese and mixed cases."""
from __future__ import annotations

import pytest

from embedgate.tiers.qa.normalize import best, contains, exact_match, f1, normalize, tokens


def test_english_follows_squad() -> None:
    assert normalize("The  Mareva injunction!") == "mareva injunction"
    assert normalize("an apple, a pear") == "apple pear"
    assert exact_match("a Mareva injunction", "Mareva injunction.") == 1.0
    assert exact_match("twelve years", "12 years") == 0.0
    assert normalize("mid-outer thigh") == "midouter thigh"  # punctuation removed, not split


def test_english_f1_by_hand() -> None:
    # pred {red, big, apple} vs gold {big, green, apple}: overlap 2, P = R = 2/3.
    assert f1("red big apple", "big green apple") == pytest.approx(2 / 3)
    # 4 of 4 predicted tokens right, 4 of 5 gold tokens found: P=1, R=0.8 -> 8/9.
    assert f1("3 to 6 months", "about 3 to 6 months") == pytest.approx(8 / 9)
    # repeated tokens count with multiplicity (Counter intersection): P=1/3, R=1 -> 0.5.
    assert f1("the dose dose dose", "dose") == pytest.approx(0.5)
    assert f1("nothing shared", "completely different") == 0.0


def test_chinese_is_character_level() -> None:
    assert tokens("踢爆。") == ["踢", "爆"]
    assert exact_match("踢爆。", "“踢爆”") == 1.0
    # pred 90 分 钟 (3 tokens) all in gold; gold has 6 tokens: P=1, R=1/2 -> 2/3.
    assert tokens("不超过90分钟") == ["不", "超", "过", "90", "分", "钟"]
    assert f1("90分钟", "不超过90分钟") == pytest.approx(2 / 3)
    assert f1("心肌缺血", "心肌梗死") == pytest.approx(0.5)  # 心 肌 shared of 4 each


def test_mixed_text_splits_latin_runs_and_cjk_characters() -> None:
    assert tokens("ST段抬高型 PCI") == ["st", "段", "抬", "高", "型", "pci"]
    assert tokens("ＰＣＩ术后") == ["pci", "术", "后"]  # full-width letters folded (NFKC)
    assert tokens("8.5 mmol/L") == ["85", "mmoll"]
    assert tokens("5.1、10.0、8.5") == ["51", "100", "85"]  # 、 separates, ASCII "." is dropped
    # "the" is dropped; pred 阿 司 匹 林 dose vs gold 阿 司 匹 林: P=4/5, R=1.
    assert f1("the 阿司匹林 dose", "阿司匹林") == pytest.approx(2 * (4 / 5) / (1 + 4 / 5))


def test_empty_answers() -> None:
    assert f1("", "") == 1.0 and exact_match("", "") == 1.0
    assert f1("something", "") == 0.0 and f1("", "something") == 0.0
    assert f1("!!!", "the") == 1.0  # both normalise to nothing, as in the SQuAD script


def test_best_over_gold_answers() -> None:
    golds = ("twelve weeks", "a maximum of twelve weeks")
    assert best("em", "maximum of twelve weeks", golds) == 1.0
    assert best("f1", "twelve", golds) == pytest.approx(2 * 1 * 0.5 / 1.5)
    assert best("em", "x", ()) == 0.0


def test_contains_matches_whole_tokens() -> None:
    assert contains("Give 0.9 mg/kg over an hour.", ["0.9 mg/kg"])
    assert not contains("a 300 mg dose", ["30"])
    assert contains("首次医疗接触至导丝通过不超过90分钟。", ["90分钟"])
    assert not contains("anything", ["", "  "])  # answers that tokenise to nothing never match
    # DPR tokens keep punctuation as tokens, so symbol-prefixed and listed numbers are found.
    assert contains("FEV1/FVC<0.70 after a bronchodilator", ["<0.70"])
    assert contains("分别达到或超过5.1、10.0、8.5 mmol/L", ["8.5 mmol/L"])
    assert not contains("分别达到或超过5.1、10.0、8.5 mmol/L", ["8.6"])
