"""Fine-tune recipes: a YAML file that says how to turn a base embedder into a tuned one.

recipe.py (schema + loader) → data.py (training pairs) → mining.py (hard negatives) →
losses.py (stage → sentence-transformers loss) → train.py (stages, cached by content hash in
store.py) → embedders/recipe.py (kind `recipe` in a suite); leak.py keeps evaluation queries
out of training data; delta.py reports tuned-minus-base deltas with significance;
command.py is `embedgate finetune`. Helpers: examples.py (training rows per stage),
students.py (distillation students), text.py (leak-check normal form, BM25 tokens).
"""
