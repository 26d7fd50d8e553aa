"""The QA tier's input files, loaded without numpy: sources and the ratings checked against them.

`embedgate validate` imports nothing heavy (tests/cli/test_light_commands.py) yet must fail on a
bad ratings file with its `file:line`, as `run` does; both go through `load_unit_ratings`.

>>> check_ratings(load_suite(Path("suites/qa-satisfaction.yaml")))  # doctest: +SKIP
120
"""
from __future__ import annotations

from embedgate.infra.errors import InputError
from embedgate.inputs.ratings import RatingSet, load_ratings
from embedgate.suite import LoadedSuite, QASource, QATier
from embedgate.tiers.qa.data import QACollection, load_beir_answers, load_squad


def system_id(embedder: str, reader: str) -> str:
    """A rated system: the embedder that retrieved and the reader that answered."""
    return f"{embedder}/{reader}"


def load_source(src: QASource, loaded: LoadedSuite, index: int) -> QACollection:
    """One `tiers.qa.sources` entry; an error names the source and its line in the suite."""
    where = loaded.where(("tiers", "qa", "sources", index, "path"))
    try:
        if src.format == "squad":
            return load_squad(src.id, loaded.resolve(src.path))
        assert src.answers is not None  # guaranteed by QASource's validator
        return load_beir_answers(src.id, loaded.resolve(src.path), loaded.resolve(src.answers))
    except InputError as exc:
        raise InputError(f'{exc} (qa source "{src.id}" at {where})') from None


def load_unit_ratings(params: QATier, loaded: LoadedSuite,
                      collections: list[QACollection]) -> RatingSet:
    """`tiers.qa.ratings`, checked against the sources' question ids and the suite's systems."""
    assert params.ratings is not None
    embedders = params.embedders or [e.id for e in loaded.suite.embedders]
    systems = [system_id(e, r.id) for e in embedders for r in params.readers]
    questions = {it.id for coll in collections for it in coll.items}
    try:
        spare = embedders if params.ratings_other_readers == "unused" else ()
        return load_ratings(loaded.resolve(params.ratings), questions, systems, embedders=spare)
    except InputError as exc:
        raise InputError(f"{exc} (qa ratings at {loaded.where(('tiers', 'qa', 'ratings'))})"
                         ) from None


def check_ratings(loaded: LoadedSuite) -> int:
    """For `validate`: load the QA sources and the ratings file; the number of ratings (0 when
    the suite has none). Raises the same one-line `InputError` as `run`."""
    params = loaded.suite.tiers.qa
    if params is None or params.ratings is None:
        return 0
    collections = [load_source(src, loaded, i) for i, src in enumerate(params.sources)]
    return len(load_unit_ratings(params, loaded, collections).ratings)
