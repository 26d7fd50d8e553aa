"""What a sentence-transformers model folder says about itself, read from its JSON files.

A warm re-run needs the embedder's `EmbedderInfo` (the cache key) but no vector, so the
output dimension and the token limit are read here the way sentence-transformers 6 derives
them when it loads the folder, without importing torch. Only the plain layout is understood:
Transformer → Pooling (→ Dense …) (→ Normalize), with or without modules.json. For anything
else (other modules, `truncate_dim`, unreadable files) the answers are None and the caller
loads the model to ask it; a test checks both answers against the loaded packaged models.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Pooling's per-mode flags in the pre-6 config format (each enabled mode adds one width).
_LEGACY_MODES = ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_tokens",
                 "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                 "pooling_mode_lasttoken")


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from `path`; None when the file is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def modules(model_dir: Path) -> list[tuple[str, Path]] | None:
    """(module class name, folder) in order; a folder without modules.json is Transformer →
    mean Pooling, as sentence-transformers builds it. None: a layout not understood here."""
    if not (model_dir / "modules.json").is_file():
        return [("Transformer", model_dir), ("MeanPooling", model_dir)]
    try:
        entries = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        found = [(str(e["type"]).rsplit(".", 1)[-1], model_dir / str(e.get("path", "")))
                 for e in entries]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    names = [name for name, _ in found]
    if names[:2] != ["Transformer", "Pooling"] or any(n not in ("Dense", "Normalize")
                                                      for n in names[2:]):
        return None
    return found


def output_dim(model_dir: Path) -> int | None:
    """`SentenceTransformer.get_embedding_dimension()`: the last Dense's width, else Pooling's."""
    layout = modules(model_dir)
    settings = read_json(model_dir / "config_sentence_transformers.json") or {}
    if layout is None or settings.get("truncate_dim") is not None:
        return None
    for name, folder in reversed(layout):
        if name == "Dense":
            return _int((read_json(folder / "config.json") or {}).get("out_features"))
        if name == "Pooling":
            return _pooling_dim(read_json(folder / "config.json") or {})
        if name == "MeanPooling":
            return _int((read_json(folder / "config.json") or {}).get("hidden_size"))
    return None


def _pooling_dim(config: dict[str, Any]) -> int | None:
    width = _int(config.get("embedding_dimension", config.get("word_embedding_dimension")))
    mode = config.get("pooling_mode")
    if mode is None:
        n_modes = sum(bool(config.get(key)) for key in _LEGACY_MODES)
    else:
        n_modes = 1 if isinstance(mode, str) else len(mode) if isinstance(mode, list) else 0
    return width * n_modes if width and n_modes else None


def max_seq_length(model_dir: Path) -> int | None:
    """The token limit sentence-transformers sets when the suite gives none: the Transformer's
    sentence_bert_config.json, else the tokenizer's model_max_length capped at the position
    embeddings."""
    layout = modules(model_dir)
    if layout is None:
        return None
    folder = layout[0][1]
    own = _int((read_json(folder / "sentence_bert_config.json") or {}).get("max_seq_length"))
    if own is not None:
        return own
    tokenizer = _int((read_json(folder / "tokenizer_config.json") or {}).get("model_max_length"))
    positions = _int((read_json(folder / "config.json") or {}).get("max_position_embeddings"))
    if tokenizer is None or positions is None:
        return None  # transformers' own defaults apply: let the loaded model say
    return tokenizer if positions == -1 else min(tokenizer, positions)
