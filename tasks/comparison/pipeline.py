"""Run the comparison: per method, the learning-rate grid (one seed) and then every seed at the chosen rate.

Every finished grid point and seed is a JSON file under the results folder, written atomically and last, so a run
killed at any moment resumes where it stopped when started again:

    <results>/<method>/grid_lr<rate>.json          one grid point (dev loss)
    <results>/<method>/selection.json              the grid and the chosen rate
    <results>/<method>/seed<k>/result.json         metrics, dev-loss curve, best step, timings
    <results>/<method>/seed<k>/predictions.jsonl   id, prediction for each scored pair
    <results>/<method>/seed<k>/predictions_shuffled_graphs.jsonl   (graph methods) the same with shuffled graphs
    <results>/<method>/seed<k>/predictions_external.jsonl   (tasks with an external set) its sample's predictions
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.comparison.data import read_jsonl
from tasks.comparison.protocol import COPY_BASELINE, LEARNING_RATE_GRIDS, RETRIEVAL_BASELINE, Protocol, seeds_for
from tasks.comparison.runs import final_run, grid_point, method_record, score_predictions
from tasks.comparison.selection import best_point, learning_rate_grid
from tasks.comparison.task_setups import ComparisonTask


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` atomically: a run killed mid-write leaves the old file or none, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(partial, path)


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(partial, path)


@dataclass(frozen=True)
class StartBy:
    """A wall-clock time (``time.time()``, seconds) after which no grid point or seed starts; those running
    finish."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> StartBy:
        return cls(time.time() + seconds)

    def passed(self) -> bool:
        return time.time() >= self.at


class _PastStartBy(Exception):
    """Raised instead of starting a grid point after the invocation's :class:`StartBy`."""


def run_method(task: ComparisonTask, method: str, paths: dict[str, Path], protocol: Protocol, backbone: str,
               results: Path, work_dir: Path, precision: str, log: Callable[[str], None] = print,
               max_seeds: int | None = None, start_by: StartBy | None = None) -> bool:
    """The grid, then every seed (or the first ``max_seeds``), of ``method``; what is already in ``results`` is
    kept. Returns ``False`` where ``start_by`` passed before all of it was done (nothing more was started)."""
    folder = results / method
    train_size = len(read_jsonl(paths["train"]))
    record = method_record(method)

    def current(path: Path) -> bool:
        """Whether ``path`` holds a finished result of ``method`` as it is configured now (results written before
        records were kept hold none: they count as current)."""
        return path.exists() and json.loads(path.read_text()).get("method_config", record) == record

    def score(rate: float) -> dict[str, Any]:
        path = folder / f"grid_lr{rate:g}.json"
        if not current(path):
            if start_by is not None and start_by.passed():
                raise _PastStartBy(f"[{method}] learning rate {rate:g} not started: --start-nothing-after has passed")
            log(f"[{method}] learning rate {rate:g}: {protocol.selection_steps(train_size)} steps, dev loss")
            write_json(path, grid_point(task, method, rate, paths, protocol, backbone, work_dir / method / f"grid_lr{rate:g}",
                                        precision, train_size))
        return json.loads(path.read_text())

    try:
        grid = learning_rate_grid(LEARNING_RATE_GRIDS[method], score, protocol.grid_extensions)
    except _PastStartBy as stop:
        log(str(stop))
        return False
    best = best_point(grid)
    rate = best["learning_rate"] if best else 0.0
    if grid:
        write_json(folder / "selection.json", {"rule": "lowest dev loss; ties: the smaller rate",
                                               "grid": grid, "learning_rate": rate})
    for seed in seeds_for(method, protocol)[:max_seeds]:
        seed_dir = folder / f"seed{seed}"
        result_path = seed_dir / "result.json"
        if current(result_path) and json.loads(result_path.read_text())["learning_rate"] == rate:
            continue
        if start_by is not None and start_by.passed():
            log(f"[{method}] seed {seed} not started: --start-nothing-after has passed")
            return False
        log(f"[{method}] seed {seed}" + (f", learning rate {rate:g}" if grid else " (nothing to train)"))
        output = final_run(task, method, rate, seed, paths, protocol, backbone, work_dir / method / f"seed{seed}",
                           precision, train_size)
        seed_dir.mkdir(parents=True, exist_ok=True)
        write_jsonl(seed_dir / "predictions.jsonl", output.predictions)
        if output.shuffled_predictions is not None:
            write_jsonl(seed_dir / "predictions_shuffled_graphs.jsonl", output.shuffled_predictions)
        if output.external_predictions is not None:
            write_jsonl(seed_dir / "predictions_external.jsonl", output.external_predictions)
        write_json(result_path, output.result)  # last: its presence marks the seed finished
    return True


def write_baseline(task: ComparisonTask, results: Path, method: str, predictions: list[dict[str, str]],
                   scored_path: Path, external: tuple[list[dict[str, str]], Path] | None = None) -> None:
    """A row that trains nothing and needs no model (one seed): its predictions and their scores, and those of its
    ``external`` (predictions, pairs) where the task has an external set."""
    folder = results / method / "seed0"
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "predictions.jsonl", predictions)
    result = {"method": method, "seed": 0, "learning_rate": 0.0, "trainable_parameters": 0,
              "metrics": score_predictions(task, predictions, scored_path)}
    if external is not None:
        write_jsonl(folder / "predictions_external.jsonl", external[0])
        result["external"] = {"metrics": score_predictions(task, *external)}
    write_json(folder / "result.json", result)


def copy_baseline(task: ComparisonTask, results: Path, scored_path: Path) -> None:
    """The naive baseline of translation: the source as the prediction."""
    predictions = [{"id": r["id"], "prediction": r["source"]} for r in read_jsonl(scored_path)]
    write_baseline(task, results, COPY_BASELINE, predictions, scored_path)


def retrieval_baseline(task: ComparisonTask, results: Path, paths: dict[str, Path]) -> None:
    """The retrieval baseline (as the assert-generation literature reports it): each scored pair (and external
    pair) gets the target of the training pair whose source is most similar by BM25
    (:class:`tasks.retrieval.BM25Index`)."""
    from tasks.retrieval import BM25Index

    if (results / RETRIEVAL_BASELINE / "seed0" / "result.json").exists():
        return
    train = read_jsonl(paths["train"])
    index = BM25Index([r["source"] for r in train])

    def retrieve(split: str) -> list[dict[str, str]]:
        queries = read_jsonl(paths[split])
        nearest = index.nearest([r["source"] for r in queries])
        return [{"id": r["id"], "prediction": train[i]["target"]} for r, i in zip(queries, nearest)]

    external = (retrieve("external"), paths["external"]) if "external" in paths else None
    write_baseline(task, results, RETRIEVAL_BASELINE, retrieve("scored"), paths["scored"], external)


def run_methods(task: ComparisonTask, methods: list[str], paths: dict[str, Path], protocol: Protocol, backbone: str,
                results: Path, work_dir: Path, precision: str, jobs: int = 1, one_seed_first: bool = False,
                start_by: StartBy | None = None) -> bool:
    """Run ``methods`` in order, ``jobs`` at a time (each job a process with ``cores // jobs`` torch threads); a
    method that fails is logged with its traceback and the others go on. ``one_seed_first``: each method's grid and
    first seed, then (queued behind every method's first seed, as soon as its own is done) its other seeds, so that
    a complete one-seed table comes first and no job waits for another. After ``start_by`` nothing new starts;
    returns ``False`` where that left work undone."""
    arguments = (task, paths, protocol, backbone, results, work_dir, precision)
    rounds: tuple[int | None, ...] = (1, None) if one_seed_first else (None,)  # seeds per method (None: all), in turn
    finished = True
    if jobs <= 1:
        for max_seeds in rounds:
            for method in methods:
                message, done = _run_logged(method, *arguments, max_seeds, start_by)
                print(message, flush=True)
                finished &= done
        return finished
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    threads = max(1, (os.cpu_count() or 1) // jobs)
    context = multiprocessing.get_context("spawn")  # no fork after torch's thread pools started
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_set_threads, initargs=(threads,)) as pool:
        pending: dict[Future[tuple[str, bool]], tuple[str, int | None]] = {
            pool.submit(_run_logged, method, *arguments, rounds[0], start_by): (method, rounds[0])
            for method in methods}  # started in this order
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                method, max_seeds = pending.pop(future)
                message, method_finished = future.result()
                print(message, flush=True)
                finished &= method_finished
                if max_seeds is not None and method_finished:  # its other seeds, behind every method's first
                    pending[pool.submit(_run_logged, method, *arguments, None, start_by)] = (method, None)
    return finished


def _set_threads(threads: int) -> None:
    """Worker set-up: ``threads`` torch threads, third-party noise quieted as in the main process; on Linux, die
    with the parent (SIGKILL: Lightning's own SIGTERM handler does not end a training process at once)."""
    import torch

    from transducer.quiet import quiet_third_party_noise

    quiet_third_party_noise()
    torch.set_num_threads(threads)
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _run_logged(method: str, task: ComparisonTask, paths: dict[str, Path], protocol: Protocol, backbone: str,
                results: Path, work_dir: Path, precision: str, max_seeds: int | None,
                start_by: StartBy | None = None) -> tuple[str, bool]:
    """Run one method; returns the line that ends its log and whether it finished (a failure counts as finished:
    it is not waiting for a later start)."""
    started = time.perf_counter()
    try:
        finished = run_method(task, method, paths, protocol, backbone, results, work_dir, precision,
                              log=lambda line: print(line, flush=True), max_seeds=max_seeds, start_by=start_by)
    except Exception:  # one broken method must not stop the others
        return f"[{method}] failed; the report lists it as not run:\n{traceback.format_exc()}", True
    minutes = (time.perf_counter() - started) / 60
    return f"[{method}] {'done' if finished else 'stopped'} in {minutes:.1f} min", finished


def log_invocation(path: Path, methods: list[str], jobs: int, wall_s: float, precision: str,
                   stopped_by: str | None = None) -> None:
    """Append one invocation's wall time, machine and precision to ``path`` (the report sums the times: the
    comparison's cost over sittings); ``stopped_by``: what stopped it before all of its work was done."""
    from transducer.precision import cpu_model

    runs = json.loads(path.read_text()) if path.exists() else []
    run = {"finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "methods": methods, "jobs": jobs,
           "cores": os.cpu_count(), "cpu": cpu_model(), "precision": precision, "wall_s": round(wall_s, 1)}
    if stopped_by is not None:
        run["stopped_by"] = stopped_by
    runs.append(run)
    write_json(path, runs)
