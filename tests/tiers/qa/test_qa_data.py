"""QA loaders (SQuAD JSON, BEIR + answers JSONL), chunking, seeded samples, and CMRC 2018."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.infra.errors import InputError
from embedgate.tiers.qa.data import (
    QAItem, chunk_text, detect_lang, gold_passage, load_beir_answers, load_squad,
)
from embedgate.tiers.qa.plan import seeded_sample

from tests.conftest import FIXTURES, SHARED

CMRC = SHARED / "datasets" / "cmrc2018" / "cmrc2018_trial.json"


def _squad(tmp_path: Path, paragraphs: list[dict]) -> Path:
    path = tmp_path / "qa.json"
    path.write_text(json.dumps({"version": "1", "data": [{"title": "t", "paragraphs": paragraphs}]},
                               ensure_ascii=False), encoding="utf-8")
    return path


def test_squad_loader_maps_contexts_to_documents(tmp_path: Path) -> None:
    path = _squad(tmp_path, [
        {"id": "p1", "context": "北京是中国的首都。", "qas": [
            {"id": "q1", "question": "中国的首都是哪里？",
             "answers": [{"text": "北京", "answer_start": 0}, {"text": "北京", "answer_start": 0}]},
            {"id": "q2", "question": "Unanswerable?", "answers": [], "is_impossible": True}]},
        {"id": "p2", "context": "Paris is the capital of France.", "qas": [
            {"id": "q3", "question": "What is the capital of France?",
             "answers": [{"text": "Paris", "answer_start": 0}]}]}])
    coll = load_squad("s", path)
    assert coll.doc_ids == ["p1", "p2"]
    assert [(it.id, it.answers, it.doc_id, it.lang) for it in coll.items] == [
        ("q1", ("北京",), "p1", "zh"), ("q3", ("Paris",), "p2", "en")]
    assert coll.stats["n_unanswerable_skipped"] == 1 and coll.stats["n_questions_in_file"] == 3


@pytest.mark.parametrize("para, needle", [
    ({"id": "p", "context": "  ", "qas": []}, "context is missing or empty"),
    ({"id": "p", "context": "text", "qas": [{"id": "q", "question": "why?"}]},
     '"answers" is missing or empty'),
    ({"id": "p", "context": "text", "qas": [{"id": "q", "question": "why?", "answers": []}]},
     '"answers" is missing or empty'),
])
def test_squad_bad_input_names_the_json_path(tmp_path: Path, para: dict, needle: str) -> None:
    path = _squad(tmp_path, [para])
    with pytest.raises(InputError) as err:
        load_squad("s", path)
    assert needle in str(err.value) and "data[0].paragraphs[0]" in str(err.value)


def test_beir_answers_fixture_loads_with_gold_answers_in_their_documents() -> None:
    coll = load_beir_answers("d", FIXTURES / "domain", FIXTURES / "qa" / "domain_qa.jsonl")
    assert len(coll.items) == 65
    assert {it.lang for it in coll.items} == {"zh", "en"}
    for it in coll.items:
        passage, found = gold_passage(coll.doc_text(it.doc_id), it.answers, 300, 60)
        assert found, it.id
        assert len(passage) <= 300


def test_beir_answers_errors_name_file_and_line(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "corpus.jsonl").write_text(
        '{"_id": "d1", "text": "alpha beta"}\n{"_id": "d2", "text": ""}\n', encoding="utf-8")
    answers = tmp_path / "a.jsonl"
    cases = [('{"id": "q", "question": "x?", "doc_id": "d1"}', ':1 (id q): "answers" is missing'),
             ('{"id": "q", "question": "x?", "answers": ["a"], "doc_id": "d9"}', "not in corpus"),
             ('{"id": "q", "question": "x?", "answers": ["a"], "doc_id": "d2"}', "has empty text")]
    for line, needle in cases:
        answers.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(InputError) as err:
            load_beir_answers("b", corpus, answers)
        assert f"{answers}:1" in str(err.value) and needle in str(err.value)


def test_chunks_cover_the_text_within_size_and_overlap() -> None:
    text = " ".join(f"Sentence number {i} says something about dose {i}.0 mg." for i in range(30))
    chunks = chunk_text(text, 120, 30)
    assert len(chunks) > 5 and all(len(c) <= 120 for c in chunks)
    assert chunks[0] == text[:len(chunks[0])]
    assert chunks[-1].endswith("dose 29.0 mg.")
    for a, b in zip(chunks, chunks[1:]):
        assert not b[0].isalnum() or b.split()[0] in text.split()  # never starts mid-word
        assert set(a.split()[-3:]) & set(b.split()[:8])  # consecutive chunks overlap
    assert chunk_text("short", 120, 30) == ["short"] and chunk_text("   ", 120, 30) == []


def test_chinese_chunks_break_after_sentence_ends() -> None:
    text = "第一句讲冠状动脉供血不足的表现。" * 10
    chunks = chunk_text(text, 50, 10)
    assert all(len(c) <= 50 for c in chunks)
    assert all(c.endswith("。") for c in chunks)


def test_seeded_sample_is_stable_nested_and_in_file_order() -> None:
    items = [QAItem(str(i), "q", ("a",), "d", "en") for i in range(50)]
    ten = seeded_sample(items, 10, 7, "s")
    assert ten == seeded_sample(items, 10, 7, "s")
    assert [int(i.id) for i in ten] == sorted(int(i.id) for i in ten)
    assert set(i.id for i in ten) <= set(i.id for i in seeded_sample(items, 20, 7, "s"))
    assert ten != seeded_sample(items, 10, 8, "s")
    assert seeded_sample(items, None, 7, "s") == items


def test_detect_lang() -> None:
    assert detect_lang("ST段抬高？") == "zh" and detect_lang("What dose?") == "en"


@pytest.mark.skipif(not CMRC.is_file(), reason="../shared/datasets/cmrc2018 is not present")
def test_cmrc2018_trial_loads_as_squad() -> None:
    coll = load_squad("cmrc", CMRC)
    assert len(coll.doc_ids) == 256 and coll.stats["n_questions_in_file"] == 1002
    assert coll.stats["n_empty_question_skipped"] == 2 and len(coll.items) == 1000
    assert all(it.lang == "zh" for it in coll.items)
    found = sum(gold_passage(coll.doc_text(it.doc_id), it.answers, 300, 60)[1] for it in coll.items)
    assert found / len(coll.items) > 0.97  # answers sit in their context (a few cut by chunking)
