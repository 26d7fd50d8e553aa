"""Compression tier: what fp32 / int8 / binary codes, Matryoshka prefixes, rescoring and
IVF / HNSW indexes cost in quality, bytes and latency against fp32 exact search.

`tier` prepares and runs it, `sweep` builds, searches and times one configuration, `rows`
turns the measurements into metric rows, comparisons and the non-inferiority choice.
"""
