"""embedgate: judge text embedders for RAG retrieval with numbers a CI gate can trust."""
from __future__ import annotations

__version__ = "0.1.0"
