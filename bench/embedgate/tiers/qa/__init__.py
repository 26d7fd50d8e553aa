"""End-to-end QA: data loading and chunking, answer normalisation, readers, generation cache."""
