"""interop: other formats in and out (MTEB / Hugging Face results, HF / table / TREC datasets)."""
