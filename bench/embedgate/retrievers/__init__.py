"""Retrieval systems beside embedders: BM25, hybrid fusion, reranking, vector databases
(pgvector, Qdrant in-process) and asymmetric query / corpus encoder pairs.

Each is an embedder kind (registered by name like any built-in) whose object satisfies
`embedders.base.Retriever`: it ranks a collection itself. The retrieval tier judges it like a
dense embedder, and for a pipeline over inputs also scores each input and tests whether the
pipeline beats the best of them (the "weakest link" check); a database system's input is exact
search of the same vectors, so the same comparison is its ANN loss with an interval.
"""
