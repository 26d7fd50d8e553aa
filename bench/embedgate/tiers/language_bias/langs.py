"""Which language a text is in, for the language-bias tier: "zh" or "en" by CJK share.

The share is CJK characters / (CJK characters + Latin letters); digits, punctuation and spaces
count for neither, so "ST段抬高型心肌梗死行直接PCI" is zh and "force majeure (不可抗力)" is en
at the default threshold 0.3. A text with neither is "und". A `lang` field in a document's
metadata wins over detection.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from embedgate.tiers.qa.normalize import is_cjk

UNDETERMINED = "und"


def cjk_share(text: str) -> float | None:
    """CJK / (CJK + Latin letters); None when the text holds neither."""
    cjk = sum(1 for c in text if is_cjk(c))
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return None if cjk + latin == 0 else cjk / (cjk + latin)


def detect_lang(text: str, threshold: float = 0.3) -> str:
    share = cjk_share(text)
    if share is None:
        return UNDETERMINED
    return "zh" if share >= threshold else "en"


def doc_langs(doc_ids: Sequence[str], texts: Sequence[str], meta: Mapping[str, Mapping[str, Any]],
              threshold: float) -> tuple[dict[str, str], int]:
    """Each document's language (metadata `lang`, else detected) and how many were detected."""
    out: dict[str, str] = {}
    detected = 0
    for doc, text in zip(doc_ids, texts):
        lang = meta.get(doc, {}).get("lang")
        if not isinstance(lang, str) or not lang:
            lang, detected = detect_lang(text, threshold), detected + 1
        out[doc] = lang
    return out, detected
