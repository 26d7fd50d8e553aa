"""The run store: every `--history` run's whole-set metrics, per run, for trends and drift."""
