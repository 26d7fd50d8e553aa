"""Language-bias tier: retrieval quality and top-k provenance by query / document language."""
