"""Voyage AI's ``POST /v1/embeddings``.

Request: {model, input: [..], input_type: query | document, output_dimension?, output_dtype:
float | int8 | binary, truncation?}. Response: {object: list, data: [{object: embedding,
embedding, index}], model, usage: {total_tokens}}. Errors: {"detail": ".."}; 429 when rate
limited. `base_url`: https://api.voyageai.com (or .../v1).
"""
from __future__ import annotations

from embedgate.embedders.vendors.input_shaped import InputShapedApi

API = InputShapedApi(role_field="input_type", roles={"query": "query", "passage": "document"},
                     dtype_field="output_dtype", dim_field="output_dimension")
