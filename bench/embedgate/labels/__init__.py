"""Relevance labels for the holes in the qrels: pooling unjudged pairs for people
(`embedgate pool`), and automatic judges (a chat endpoint, a reranker) measured against the
human labels (Cohen's kappa) before their labels are used. See docs/holes.md.

Its own floor (after retrievers): it reads datasets and calls models, which the judge floor,
reading results only, must not.
"""
