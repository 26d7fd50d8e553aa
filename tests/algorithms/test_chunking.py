"""Chunkers on hand-made text (hand-checked boundaries), aggregation maths and clause hits."""
from __future__ import annotations

import pytest

from embedgate.algorithms.chunk_rank import clause_hit, depth_for, rank_documents
from embedgate.algorithms.chunking import (
    char_spans, clause_spans, fallback_tokens, sentence_spans, token_spans,
)
from embedgate.tiers.qa.data import chunk_text


def texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[a:b] for a, b in spans]


def test_char_spans_match_the_qa_chunker_and_overlap() -> None:
    text = "  Alpha beta gamma. Delta epsilon zeta. Eta theta iota kappa.  "
    spans = char_spans(text, 25, 8)
    assert texts(text, spans) == chunk_text(text, 25, 8)
    # breaks only in a window's last quarter (after a space here); about 8 characters repeat
    assert texts(text, spans) == ["Alpha beta gamma. Delta", ". Delta epsilon zeta.",
                                  "zeta. Eta theta iota", "iota kappa."]
    assert char_spans("short", 25, 8) == [(0, 5)] and char_spans("   ", 25, 8) == []


def test_token_spans_fallback_counts_cjk_characters_and_words() -> None:
    text = "第3条 Payment is due 付款"
    assert texts(text, fallback_tokens(text)) == ["第", "3", "条", "Payment", "is", "due", "付", "款"]
    assert texts(text, token_spans(text, 4, 1)) == ["第3条 Payment", "Payment is due 付",
                                                    "付款"]
    with pytest.raises(ValueError, match="overlap"):
        token_spans(text, 4, 4)


def test_sentence_spans_pack_zh_and_en_sentences_with_overlap() -> None:
    zh = "甲方付款。乙方交货！逾期怎么办？按日计息；"
    assert texts(zh, sentence_spans(zh, 11)) == ["甲方付款。乙方交货！", "逾期怎么办？按日计息；"]
    assert texts(zh, sentence_spans(zh, 11, overlap=5)) == [
        "甲方付款。乙方交货！", "乙方交货！逾期怎么办？", "按日计息；"]  # 6 > overlap
    en = "Pay on time. Fees are 1.5 percent! Late? Interest accrues."
    assert texts(en, sentence_spans(en, 36)) == ["Pay on time. Fees are 1.5 percent!",
                                                 "Late? Interest accrues."]


def test_clause_spans_split_at_headings() -> None:
    text = ("合同\n第一条 定义。本合同所称甲方。\n第十二条 付款。按月支付。\n"
            "Article 3 Termination. Either party may end it.\nSection 4 Law. English law.\n"
            "4.1 Courts of London. See 1.2 above.")
    assert texts(text, clause_spans(text, 200)) == [
        "合同", "第一条 定义。本合同所称甲方。", "第十二条 付款。按月支付。",
        "Article 3 Termination. Either party may end it.", "Section 4 Law. English law.",
        "4.1 Courts of London. See 1.2 above."]
    # a clause over `size` is packed by sentences
    assert texts(text, clause_spans(text, 30))[3:5] == ["Article 3 Termination.",
                                                        "Either party may end it."]


CHUNK_DOC = [0, 0, 0, 1, 1, 2]  # chunk -> document
HITS = [(0, 0.50), (1, 0.90), (2, 0.10), (3, 0.80), (4, 0.70), (5, 0.85)]


def test_aggregation_ranks_documents() -> None:
    assert rank_documents(HITS, CHUNK_DOC, "max") == [(0, 0.90), (2, 0.85), (1, 0.80)]
    top2 = rank_documents(HITS, CHUNK_DOC, "sum_top", 2)
    assert [d for d, _ in top2] == [1, 0, 2]
    assert [round(s, 6) for _, s in top2] == [1.5, 1.4, 0.85]
    assert rank_documents(HITS, CHUNK_DOC, "sum_top", 3)[0] == (0, pytest.approx(1.5))
    # first: the caller searched first chunks only (0, 3, 5)
    first = [(0, 0.50), (3, 0.80), (5, 0.85)]
    assert rank_documents(first, CHUNK_DOC, "first", top_k=2) == [(2, 0.85), (1, 0.80)]
    assert rank_documents([(-1, 0.0)], CHUNK_DOC, "max") == []
    with pytest.raises(ValueError, match="at least 1"):
        rank_documents(HITS, CHUNK_DOC, "sum_top", 0)
    assert depth_for(10, 500, 12) == 120 and depth_for(10, 50, 12) == 50


def test_clause_hit_uses_the_best_chunk() -> None:
    spans = [(0, 100), (90, 200), (200, 300)]
    assert clause_hit(spans, [0.2, 0.9, 0.1], [(150, 180)])
    assert not clause_hit(spans, [0.2, 0.1, 0.9], [(150, 180)])
    assert clause_hit(spans, [0.5, 0.5, 0.1], [(10, 20)])  # a tie: the earlier chunk
    assert not clause_hit([(0, 10)], [1.0], [(10, 20)])  # touching is not overlapping
    assert not clause_hit([], [], [(0, 5)])
