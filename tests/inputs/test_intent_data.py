"""The intent file loader: CSV / JSONL, splits, ids, and one clear file:line per problem."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.infra.errors import InputError
from embedgate.inputs.intents import check_cross_validation, check_split, load_intents

from tests.conftest import FIXTURES
from tests.helpers.intents import write_csv


def test_fixtures_load_with_their_documented_shape() -> None:
    finance = load_intents("finance", FIXTURES / "intent" / "finance_zh.csv")
    assert len(finance.items) == 240 and not finance.has_split
    assert finance.support() == {label: 30 for label in finance.label_names}
    assert len(finance.label_names) == 8
    legal = load_intents("lm", FIXTURES / "intent" / "legal_medical_zh.csv")
    assert set(legal.support().values()) == {12} and len(legal.label_names) == 6
    check_cross_validation(finance, 5)


def test_csv_quoting_bom_ids_lines_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "i.csv"
    path.write_text('\ufeffid,Text,label,note\nx1,"hello, world",greet,a\n\nx2,bye,leave,b\n',
                    encoding="utf-8")
    ds = load_intents("s", path)
    assert [(it.id, it.text, it.label, it.line) for it in ds.items] == [
        ("x1", "hello, world", "greet", 2), ("x2", "bye", "leave", 4)]
    assert not ds.has_split


def test_jsonl_with_split_and_line_ids(tmp_path: Path) -> None:
    path = tmp_path / "i.jsonl"
    rows = [{"text": "a", "label": "x", "split": "train"}, {"text": "b", "label": "y", "split": "TRAIN"},
            {"text": "c", "label": "x", "split": "test"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    ds = load_intents("s", path)
    assert ds.has_split and [it.split for it in ds.items] == ["train", "train", "test"]
    assert [it.id for it in ds.items] == ["L1", "L2", "L3"]
    check_split(ds)


@pytest.mark.parametrize(("content", "where", "words"), [
    ("text,intent\nhi,x\n", ":1:", 'no "label" column'),
    ("label\nx\n", ":1:", 'no "text" column'),
    ("text,label\nhi,x\n  ,y\n", ":3:", "empty text"),
    ("text,label\nhi,\n", ":2:", "empty label"),
    ("text,label,split\nhi,x,train\nyo,y,dev\n", ":3:", 'split "dev" is not train or test'),
    ("text,label,split\nhi,x,train\nyo,y,\n", ":3:", "no split on this row"),
    ("text,label,split\nhi,x,train\nyo,y,train\n", "i.csv:", "no test rows"),
    ("text,label\nhi,x,extra\n", ":2:", "3 fields, header has 2"),
    ("id,text,label\na,hi,x\na,yo,y\n", ":3:", 'duplicate id "a" (first on line 2)'),
    ("text,label\n", "i.csv:", "no utterances"),
])
def test_bad_csv_is_one_line_with_location(tmp_path: Path, content: str, where: str, words: str) -> None:
    path = tmp_path / "i.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_intents("s", path)
    msg = str(err.value)
    assert "\n" not in msg and where in msg and words in msg, msg


def test_bad_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "i.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{"text": "b"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r'i\.jsonl:2: no "label" key'):
        load_intents("s", path)


def test_unknown_suffix_needs_a_format(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "i.txt", [("hi", "x")])
    with pytest.raises(InputError, match="cannot tell the format"):
        load_intents("s", path)
    assert len(load_intents("s", path, "csv").items) == 1


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="intent file not found"):
        load_intents("s", tmp_path / "nope.csv")


def test_label_with_one_example_cannot_be_stratified(tmp_path: Path) -> None:
    rows = [("a", "x"), ("b", "x"), ("c", "y"), ("d", "y"), ("e", "lonely")]
    ds = load_intents("s", write_csv(tmp_path / "i.csv", rows))
    with pytest.raises(InputError) as err:
        check_cross_validation(ds, 2)
    msg = str(err.value)
    assert 'i.csv:6: label "lonely" has 1 example;' in msg and "2-fold" in msg


def test_labels_need_as_many_examples_as_folds(tmp_path: Path) -> None:
    ds = load_intents("s", write_csv(tmp_path / "i.csv", [("a", "x"), ("b", "x"), ("c", "y"),
                                                          ("d", "y"), ("e", "y")]))
    check_cross_validation(ds, 2)
    with pytest.raises(InputError, match='i.csv:2: label "x" has 2 examples; stratified 3-fold'):
        check_cross_validation(ds, 3)


def test_single_label_and_unlearnable_test_label(tmp_path: Path) -> None:
    one = load_intents("s", write_csv(tmp_path / "one.csv", [("a", "x"), ("b", "x")]))
    with pytest.raises(InputError, match="only one label"):
        check_cross_validation(one, 2)
    split = load_intents("s", write_csv(tmp_path / "sp.csv", [
        ("a", "x", "train"), ("b", "y", "train"), ("c", "z", "test")], header="text,label,split"))
    with pytest.raises(InputError, match='sp.csv:4: test label "z" never appears in the train'):
        check_split(split)
