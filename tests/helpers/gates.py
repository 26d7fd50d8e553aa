"""Shared bits of the gate tests: a four-document Chinese collection m3e-small ranks well."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import write_beir


def tiny_beir(root: Path) -> Path:
    """Two queries over four documents: q1 has two relevant documents, q2 one."""
    return write_beir(root,
                      [{"_id": "d1", "title": "", "text": "心肌缺血的治疗"},
                       {"_id": "d2", "title": "", "text": "合同违约的赔偿责任"},
                       {"_id": "d3", "title": "", "text": "股票市场的波动"},
                       {"_id": "d4", "title": "", "text": "冠状动脉供血不足"}],
                      [{"_id": "q1", "text": "心脏供血问题怎么治"},
                       {"_id": "q2", "text": "违约要赔偿吗"}],
                      [("q1", "d1", 1), ("q1", "d4", 1), ("q2", "d2", 1)])
