"""Jina AI's ``POST /v1/embeddings``.

Request: {model, input: [..], task: retrieval.query | retrieval.passage, dimensions?,
embedding_type: float | binary, normalized?}. Response: OpenAI's shape ({data: [{index,
embedding}], usage: {total_tokens, prompt_tokens}}). Errors: {"detail": ".."}; 429 when rate
limited. `base_url`: https://api.jina.ai (or .../v1).
"""
from __future__ import annotations

from embedgate.embedders.vendors.input_shaped import InputShapedApi

API = InputShapedApi(role_field="task",
                     roles={"query": "retrieval.query", "passage": "retrieval.passage"},
                     dtype_field="embedding_type", dim_field="dimensions")
