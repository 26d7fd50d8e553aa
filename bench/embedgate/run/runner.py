"""Runs a validated suite: datasets → embedders → tiers → RunResult on disk (atomically)."""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from collections.abc import Sequence
from typing import Any, cast

from embedgate.infra import atomic
from embedgate.run import bakeoff, catalog, child, cost, fingerprint, provenance
from embedgate.judge import gating
from embedgate.suite import (LoadedSuite, SentenceTransformersSpec, TierSpec, sweep_base,
                             sweep_variants)
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import Collection
from embedgate.inputs.formats import load_dataset
from embedgate.inputs.judgments import JUDGED_SUFFIX, with_extra
from embedgate.encode.setup import EncodeOverrides, build_pipeline
from embedgate.infra.errors import InputError
from embedgate.run.leak import check_suite as check_recipe_leaks
from embedgate.embedders import instructions
from embedgate.embedders.base import Embedder, Retriever
from embedgate.embedders.lazy import LazyEmbedder, build_lazy, model_loaded
from embedgate.embedders.registry import BuildEnv
from embedgate.results.schema import MetricRow, PerQuery, RunResult, SuiteInfo, TierResult
from embedgate import tiers
from embedgate.embedders.st import check_max_seq_length, check_model_dir, model_path
from embedgate.report.render import render_report

log = logging.getLogger("embedgate")


def output_dir(loaded: LoadedSuite, override: Path | None) -> Path:
    suite = loaded.suite
    return override or suite.output.dir or Path("reports") / suite.name


def configure_threads(threads: int) -> None:
    """Fix thread counts so timings are comparable and recorded.

    torch is set here only when something already imported it; embedders that import it set
    the same count from `BuildEnv.threads` (a warm run never imports torch at all).
    """
    import faiss

    faiss.omp_set_num_threads(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def load_datasets(loaded: LoadedSuite) -> dict[str, Collection]:
    out: dict[str, Collection] = {}
    for i, spec in enumerate(loaded.suite.datasets):
        where = loaded.where(("datasets", i, "path" if spec.format == "beir" else "format"))
        try:
            out[spec.id] = load_dataset(spec, loaded.resolve)
            extra = getattr(spec, "qrels_extra", None)
            if extra:  # the same collection with labelled holes, side by side
                out[spec.id + JUDGED_SUFFIX] = with_extra(
                    out[spec.id], [loaded.resolve(p) for p in extra])
        except InputError as exc:
            raise InputError(f"{exc} (dataset \"{spec.id}\" at {where})") from None
    return out


def build_env(loaded: LoadedSuite, index: int, progress: bool, key: str = "",
              threads: int | None = None) -> BuildEnv:
    loc: tuple[str | int, ...] = ("embedders", index) + ((key,) if key else ())
    return BuildEnv(where=loaded.where(loc), progress=progress, base_dir=loaded.base_dir,
                    specs={e.id: e for e in loaded.suite.embedders}, threads=threads)


def precheck_embedders(loaded: LoadedSuite) -> None:
    """Resolve every model reference before any encoding, so bad input fails in seconds."""
    for i, spec in enumerate(loaded.suite.embedders):
        model = getattr(spec, "model", None)
        if isinstance(model, str) and spec.kind != "openai-compatible":  # there: a remote name
            env = build_env(loaded, i, False, "model")
            try:
                path = model_path(model, env)
            except InputError as exc:
                raise InputError(f"{env.where}: {exc}") from None
            check_model_dir(path, env.where)
            if isinstance(spec, SentenceTransformersSpec):  # `kind: onnx` reuses this limit
                check_max_seq_length(path, spec.max_seq_length,
                                     loaded.where(("embedders", i, "max_seq_length")), model)


def precheck_filters(loaded: LoadedSuite, datasets: dict[str, Collection],
                     jobs: list[Job]) -> None:
    """A system that cannot apply its datasets' query filters (`check_filter_keys` of its
    kind, e.g. a deployed table without the attribute's column) fails before any model runs."""
    for i, spec in enumerate(loaded.suite.embedders):
        check = getattr(catalog.RETRIEVER_KINDS.get(spec.kind), "check_filter_keys", None)
        for job in jobs if check is not None else []:
            coll = datasets.get(job.dataset) if job.dataset else None
            if job.tier == "retrieval" and coll is not None and coll.filters and \
                    job.wants(spec.id):
                keys = sorted({k for flt in coll.filters.values() for k in flt})
                check(spec, keys, build_env(loaded, i, False).where)


@dataclass(frozen=True)
class Job:
    tier: str
    impl: tiers.EmbedderTier[Any]
    params: TierSpec
    dataset: str | None
    data: Any

    def wants(self, embedder_id: str) -> bool:
        return self.params.embedders is None or embedder_id in self.params.embedders


def plan_jobs(loaded: LoadedSuite, datasets: dict[str, Collection]) -> list[Job]:
    """Every tier prepares its inputs once, before any model is loaded."""
    catalog.install()
    jobs: list[Job] = []
    for name, params in loaded.suite.tiers.enabled():
        impl = tiers.load(name)
        if tiers.is_suite_scoped(impl):
            continue  # planned by plan_suite_jobs
        tier = cast(tiers.EmbedderTier[Any], impl)
        for dataset_id, data in tier.prepare(params, loaded, datasets):
            jobs.append(Job(name, tier, params, dataset_id, data))
    return jobs


@dataclass(frozen=True)
class SuiteJob:
    """A suite-scoped tier (`SCOPE = "suite"`): runs once, after every per-embedder tier, with
    all embedders at hand and the results so far (e.g. perf: variants side by side)."""

    tier: str
    impl: tiers.SuiteTier
    params: TierSpec
    units: list[tiers.Unit]


def plan_suite_jobs(loaded: LoadedSuite, datasets: dict[str, Collection]) -> list[SuiteJob]:
    """Suite-scoped tiers prepare (and check) their inputs before any model is loaded, too."""
    catalog.install()
    jobs: list[SuiteJob] = []
    for name, params in loaded.suite.tiers.enabled():
        impl = tiers.load(name)
        if tiers.is_suite_scoped(impl):
            suite_tier = cast(tiers.SuiteTier, impl)
            jobs.append(SuiteJob(name, suite_tier, params,
                                 suite_tier.prepare(params, loaded, datasets)))
    return jobs


def run_suite(loaded: LoadedSuite, out: Path | None = None, threads: int | None = None,
              progress: bool = True, baseline: Path | None = None,
              encode: EncodeOverrides | None = None,
              finish: Callable[[RunResult, Path], RunResult] | None = None,
              ) -> tuple[RunResult, Path]:
    """Run every tier for every embedder; write results.json, TREC runs and report.html.

    `finish` (e.g. the history store's append) sees the judged result before it is written and
    returns the result to write; it must not raise for its own faults (the run's results are
    written regardless)."""
    suite = loaded.suite
    started = time.perf_counter()
    n_threads = threads or suite.threads or (os.cpu_count() or 1)
    configure_threads(n_threads)
    target = output_dir(loaded, out)
    # A folder we cannot write fails now, not after the models ran.
    atomic.check_writable_dir(target, "--out" if out else "output.dir (or --out)")
    datasets = load_datasets(loaded)
    published = bakeoff.references(loaded)  # a bad published file fails before any model
    jobs = plan_jobs(loaded, datasets)
    suite_jobs = plan_suite_jobs(loaded, datasets)
    precheck_embedders(loaded)
    precheck_filters(loaded, datasets, jobs)
    check_recipe_leaks(loaded, datasets, jobs)  # before any training or encoding
    gates = gating.plan(loaded, baseline)  # a bad or incomparable baseline fails before models
    gating.preflight(gates, {d.id: {"sha256": d.sha256} for d in datasets.values()})
    ctx = RunContext(seed=suite.seed, threads=n_threads, progress=progress, datasets=datasets,
                     child_entry=child.__name__)
    pipeline = build_pipeline(loaded, encode or EncodeOverrides(), target, n_threads)
    ctx.encode_fn = pipeline  # cache, dedupe, memmap: tiers see none of it
    results: list[TierResult] = []
    infos: dict[str, dict[str, Any]] = {}
    probes: dict[str, dict[str, Any]] = {}
    # A setting sweep (ef_search: [..]) runs as one system per value, each its own row.
    variants = [(i, v) for i, s in enumerate(suite.embedders) for v in sweep_variants(s)]
    last = {sweep_base(v.id): v.id for _, v in variants}  # where a sweep's shared index closes
    try:
        for i, spec in variants:
            t0 = time.perf_counter()
            log.info("loading embedder %s", spec.id)
            embedder = build_lazy(spec, build_env(loaded, i, progress, threads=n_threads))
            describe_s = time.perf_counter() - t0
            pipeline.bind(spec.id, partial(catalog.build, spec,
                                           build_env(loaded, i, False, threads=n_threads)))
            skipped: list[str] = []
            told: dict[str, str] = {}
            for job in (j for j in jobs if j.wants(sweep_base(spec.id))):
                if isinstance(embedder, Retriever) and not tiers.accepts_retrievers(job.impl):
                    skipped.append(job.tier)  # intrinsic, intent, …: they judge vectors
                    continue
                log.info("tier %s: %s%s", job.tier, spec.id,
                         f" on {job.dataset}" if job.dataset else "")
                said = instructions.suite_instruction(spec, suite, job.dataset)
                view = instructions.instructed(embedder, said)
                results.append(pipeline.record(job.impl.run(view, job.data, job.params, ctx)))
                if view is not embedder:
                    told[str(job.dataset)] = str(said)
            t_fp = time.perf_counter()  # probe vectors through the pipeline: cached on a warm run
            probes[spec.id] = fingerprint.of_embedder(embedder, spec, pipeline,
                                                      build_env(loaded, i, False))
            ctx.timings["fingerprint_s"] = (ctx.timings.get("fingerprint_s", 0.0)
                                            + time.perf_counter() - t_fp)
            infos[spec.id] = embedder_record(embedder, describe_s)
            if told:  # results.json embedders.<id>.query_instructions: {dataset: text}
                infos[spec.id]["query_instructions"] = dict(told)
            if suite.cost is not None:  # after the record: the CPU probe may load a lazy model
                results.extend(cost.measure(embedder, spec, build_env(loaded, i, False),
                                            suite.cost, datasets))
            if skipped:
                log.info("%s is a retrieval system without vectors: tiers %s skip it", spec.id,
                         ", ".join(sorted(set(skipped))))
                infos[spec.id]["skipped_tiers"] = sorted(set(skipped))
            del embedder
            if last[sweep_base(spec.id)] == spec.id:
                ctx.pool.release(sweep_base(spec.id))
    finally:
        ctx.pool.close()  # a failed run drops what its sweeps built, too
    for sjob in suite_jobs:
        log.info("tier %s: all embedders", sjob.tier)
        results.extend(sjob.impl.run_suite(loaded, sjob.params, sjob.units, list(results), ctx))
    ctx.timings.update(pipeline.totals())
    pipeline.close()
    result = assemble(loaded, datasets, infos, results, ctx, time.perf_counter() - started)
    result.fingerprint = fingerprint.collect(probes, datasets)
    result = gating.attach(gates, result)
    if finish is not None:
        result = finish(result, target)
    write_outputs(result, results, target, published)
    return result, target


def embedder_record(embedder: Embedder | Retriever, build_s: float) -> dict[str, Any]:
    """results.json `embedders.<id>`: the info, the load time, whether the model was loaded
    (false: every vector came from the cache, so only the files were read)."""
    lazy_s = embedder.load_s if isinstance(embedder, LazyEmbedder) else 0.0
    traffic = getattr(embedder, "traffic", None)  # HTTP embedders: requests, vendor tokens
    return {**embedder.info.to_dict(), "load_s": build_s + lazy_s,
            "model_loaded": model_loaded(embedder), **({"http": traffic} if traffic else {})}


def assemble(loaded: LoadedSuite, datasets: dict[str, Collection], infos: dict[str, dict[str, Any]],
             tier_results: list[TierResult], ctx: RunContext, wall_s: float) -> RunResult:
    suite = loaded.suite
    metrics: list[MetricRow] = [m for r in tier_results for m in r.metrics]
    per_query: list[PerQuery] = [p for r in tier_results for p in r.per_query]
    details = {f"{r.tier}/{r.embedder}/{r.dataset or '-'}": {**r.details, "timings": r.timings}
               for r in tier_results}
    return RunResult(
        suite=SuiteInfo(name=suite.name, file=str(loaded.doc.path), sha256=loaded.sha256,
                        description=suite.description),
        provenance=provenance.collect(loaded.base_dir, suite.seed, ctx.threads),
        embedders=infos,
        datasets={d.id: {"path": str(d.path), "split": d.split, "sha256": d.sha256,
                         **d.stats.to_dict(), **d.extra, **fingerprint.part_hashes(d)}
                  for d in datasets.values()},
        params={"tiers": suite.tiers.model_dump(mode="json", exclude_none=True),
                **({} if suite.cost is None else {"cost": suite.cost.model_dump(mode="json")})},
        metrics=metrics, per_query=per_query, details=details,
        timings={"total_s": wall_s, "encode_s": ctx.encode_seconds, **ctx.timings})


def write_outputs(result: RunResult, tier_results: list[TierResult], target: Path,
                  published: Sequence[tuple[str, RunResult]] = ()) -> None:
    """Artifacts, leaderboards, results.json and the report rendered from it, as one unit:
    all are written or none (a full disk leaves the previous run's files as they were)."""
    files: dict[Path, str] = {target / rel: text for r in tier_results
                              for rel, text in r.artifacts.items()}
    files.update(bakeoff.outputs(result, target, published))  # leaderboards of 2+ systems
    text = atomic.json_text(result.model_dump(mode="json"))
    files[target / "results.json"] = text
    # the report shows exactly what the file holds, as `embedgate report` would render it
    files[target / "report.html"] = render_report(RunResult.model_validate(json.loads(text)))
    atomic.write_all(files)
