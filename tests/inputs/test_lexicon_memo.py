"""Lexicon samples memoised on disk: a re-run reads the sample instead of parsing the lexicon."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.inputs import lexicon_memo, lexicons

CILIN = """Aa01A01= 人 士 人物 人士
Aa01A02= 人类 生人 全人类
Ab01A01= 男人 男子 男子汉
Ba01A01= 物质 质 素
Ba01A02= 物体 物
Bb01A01= 水 水分
"""


@pytest.fixture
def cilin(tmp_path: Path) -> Path:
    path = tmp_path / "cilin.txt"
    path.write_text(CILIN, encoding="utf-8")
    return path


def test_a_second_sample_is_read_from_the_memo(cilin: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = lexicons.cilin_groups(cilin, 3, 7)
    assert lexicon_memo.sampled_groups("cilin", cilin, 3, 7, tmp_path / "memo") == fresh

    def no_parse(*args: object) -> object:
        raise AssertionError("a memoised sample must not parse the lexicon")

    monkeypatch.setattr(lexicons, "cilin_groups", no_parse)
    assert lexicon_memo.sampled_groups("cilin", cilin, 3, 7, tmp_path / "memo") == fresh
    with pytest.raises(AssertionError):  # another seed is another sample
        lexicon_memo.sampled_groups("cilin", cilin, 3, 8, tmp_path / "memo")


def test_a_damaged_memo_is_sampled_again(cilin: Path, tmp_path: Path) -> None:
    memo = tmp_path / "memo"
    fresh = lexicon_memo.sampled_groups("cilin", cilin, 3, 7, memo)
    (entry,) = (memo / lexicon_memo.SUBDIR).iterdir()
    entry.write_text("{not json", encoding="utf-8")
    assert lexicon_memo.sampled_groups("cilin", cilin, 3, 7, memo) == fresh
    assert lexicon_memo.sampled_groups("cilin", cilin, 3, 7, None) == fresh
