"""Embedders: anything that maps texts to L2-normalised float32 vectors (see base.Embedder)."""
