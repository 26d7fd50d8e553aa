"""Load tests of an embeddings endpoint on loopback: the open-loop driver (`driver`) and the
in-process server configurations with the quality check (`configs`). Used by
`embedgate bench load` and the `load` tier; numpy loads with the submodules, not here."""
