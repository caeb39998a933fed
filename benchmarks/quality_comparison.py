"""The quality comparison: every adaptation method on one frozen pretrained backbone, CodeXGLUE Java→C#.

    python benchmarks/quality_comparison.py --data ../shared/data/codexglue-java-cs --backbone models/code-t5-mini

Protocol (``Protocol`` below; every figure of the report comes from it):
- Data: the 10,295 CodeXGLUE Java→C# train pairs and the 499 validation pairs, read by path. A dev slice of
  ``dev_size`` pairs is carved from train (seeded) for choosing each method's learning rate.
- Learning rate: for each method, every rate of its grid (``LEARNING_RATE_GRIDS``) trains for ``grid_steps`` steps
  on train minus the dev slice and is scored on the dev slice (corpus BLEU); the best rate (ties: the smaller) wins.
  While the best is the largest (or smallest) rate tried, the grid grows by the next rate on that side of the
  1-3-10 sequence, up to ``grid_extensions`` extra points, so that no method is held at the edge of its grid.
- Batches: ``batch_size`` pairs, grouped by length (``group_by_length``: the same examples, less padding).
- Final run: the chosen rate trains on all train pairs for ``final_epochs`` epochs (the same budget for every
  method), then generates for the 499 validation pairs (beam ``num_beams``); no fine-tuning and the copy baseline
  (prediction = source) are scored directly.
- Generation budget: up to ``max_new_tokens``, and at most ``max_new_tokens_per_source_token`` (2.5) times the
  longest source of the batch, with validation batches formed longest source first. A weak method never stops on
  its own and used to decode all 300 tokens for every batch; a CodeXGLUE C# target is rarely over 2.5 times its
  Java source (2 of the 499 validation pairs, 31 of the 10,295 train pairs), so the cap cuts little but run-on.
- Methods: a plain run does the copy baseline and :data:`DEFAULT_METHODS` (the harness's methods the comparison
  was specified with, and the MiniLM node encoder), longest first; ``--methods`` adds the frozen-encoder decoder, the
  transducer's other injection modes and the edge ablation. Each invocation's wall time goes to ``runs.json``.
- Graph contribution: the trained transducer is scored again with each sample's graph replaced by another
  sample's (a seeded derangement), and its fusion update is decomposed (``transducer.analysis``).
- Significance: paired bootstrap of the transducer against each method on corpus BLEU (statistics resampled),
  Holm–Bonferroni corrected over the family.
- Determinism: the ``codebleu`` package names data-flow variables in the order of a Python ``set`` of strings,
  so its data-flow component (and CodeBLEU) moves with the interpreter's hash seed (copy baseline: CodeBLEU 36.21
  to 36.40 over four seeds, data-flow match 53.71 to 54.43); the
  script runs with ``PYTHONHASHSEED=0`` (it restarts itself with it), and ``--rescore-codebleu`` recomputes the
  CodeBLEU of finished methods from their stored predictions.

Parallel: ``--jobs 2`` trains two methods at once, each in its own process with one torch thread per core
(on 2 cores a training step of the shipped backbone takes 1.41 s in each of two single-thread processes and 0.94 s
in one two-thread process: 1.33× the throughput). Results do not depend on ``--jobs`` beyond the last digits that
the thread count changes in bf16 sums (each result records its ``torch_threads``).

Resumable: each finished grid point and method is a JSON file under ``--results`` (committed to the repo, so a
later sitting continues where this one stopped); rerun the same command to continue. ``--report`` only renders
the report (``report.md``, ``chart.png``) and the quality section of ``BENCHMARKS.md`` from what is finished.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import re
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cpg.cache import EXTRACTOR_VERSION

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = "transducer"
COPY_BASELINE = "copy_source"

#: method -> learning rates tried on the dev slice (no_finetune and icl train nothing); in run order, the longest
#: first, so that the last method running alone on a ``--jobs`` pool is a short one
LEARNING_RATE_GRIDS: dict[str, tuple[float, ...]] = {
    "transducer_minilm": (3e-4, 1e-3, 3e-3),
    "transducer": (3e-4, 1e-3, 3e-3),
    "full_finetune": (1e-4, 3e-4, 1e-3),
    "ia3": (1e-3, 3e-3, 1e-2),
    "transducer_no_graph": (3e-4, 1e-3, 3e-3),
    "lora": (3e-4, 1e-3, 3e-3),
    "prefix_tuning": (1e-3, 3e-3, 1e-2),
    "prompt_tuning": (3e-3, 1e-2, 3e-2),
    "linear_adapter": (1e-4, 3e-4, 1e-3),
    "layer_freezing": (1e-4, 3e-4, 1e-3),
    "transducer_small": (1e-3, 3e-3, 1e-2),
    "icl": (),
    "no_finetune": (),
    # beyond the rows (run with --methods): the frozen-encoder decoder, the transducer's other injection
    # modes, and an ablation
    "frozen_decoder": (1e-4, 3e-4, 1e-3),
    "transducer_soft_tokens": (3e-4, 1e-3, 3e-3),
    "transducer_prefix": (3e-4, 1e-3, 3e-3),
    "transducer_v2_edges": (3e-4, 1e-3, 3e-3),  # ablation: the graph without CFG labels, CALL and ARGUMENT edges
}
#: the rows a plain run does (the methods of the harness the comparison was specified with, and the MiniLM
#: node encoder); the rest of :data:`LEARNING_RATE_GRIDS` runs when named with ``--methods``
DEFAULT_METHODS = tuple(LEARNING_RATE_GRIDS)[: tuple(LEARNING_RATE_GRIDS).index("no_finetune") + 1]
#: the report's row order: baselines, the transducer and its variants, then the other methods
REPORT_ORDER = (COPY_BASELINE, "no_finetune", "icl", "transducer", "transducer_no_graph", "transducer_small",
                "transducer_minilm", "transducer_soft_tokens", "transducer_prefix", "transducer_v2_edges", "prompt_tuning",
                "prefix_tuning", "ia3", "linear_adapter", "lora", "frozen_decoder", "layer_freezing", "full_finetune")
#: methods whose results depend on the graph extractor: the report names a row made by an older extractor version,
#: and ``--rerun-older-graphs`` redoes it
GRAPH_METHODS = frozenset({"transducer", "transducer_small", "transducer_minilm", "transducer_soft_tokens", "transducer_prefix",
                           "transducer_v2_edges"})
METRICS = ("corpus_bleu", "exact_match", "codebleu", "codebleu_ngram_match", "codebleu_weighted_ngram_match",
           "codebleu_syntax_match", "codebleu_dataflow_match")  # fmt: skip


@dataclass
class Protocol:
    """Settings shared by every method of the comparison."""

    dev_size: int = 64
    grid_steps: int = 60
    grid_extensions: int = 2
    final_epochs: int = 1
    batch_size: int = 16
    eval_batch_size: int = 32
    max_source_length: int = 320
    max_target_length: int = 320
    num_beams: int = 2
    max_new_tokens: int = 300
    max_new_tokens_per_source_token: float = 2.5
    warmup_steps: int = 30
    lr_schedule: str = "linear"
    precision: str = "bf16-mixed"
    group_by_length: bool = True
    seed: int = 42


# ------------------------------------------------------------------------------------------------------- data


def prepare_data(data_dir: Path, work_dir: Path, protocol: Protocol, limit: int | None = None) -> dict[str, Path]:
    """JSONL files for the splits: ``train`` (all), ``grid_train`` (train minus dev), ``dev``, ``valid``."""
    from tasks.data.loading import load_examples

    def read(split: str) -> list[Any]:
        spec = {"format": "codexglue_translation", "source_path": str(data_dir / f"{split}.java-cs.txt.java"),
                "target_path": str(data_dir / f"{split}.java-cs.txt.cs")}
        return load_examples(spec, limit=limit)

    train, valid = read("train"), read("valid")
    dev_ids = set(random.Random(protocol.seed).sample(range(len(train)), min(protocol.dev_size, len(train) // 5)))
    splits = {
        "train": train,
        "grid_train": [e for i, e in enumerate(train) if i not in dev_ids],
        "dev": [e for i, e in enumerate(train) if i in dev_ids],
        "valid": valid,
    }
    folder = work_dir / "data"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, examples in splits.items():
        paths[name] = folder / f"{name}.jsonl"
        with paths[name].open("w", encoding="utf-8") as handle:
            for example in examples:
                record = {"id": example.id, "source": example.source, "target": example.target, "language": "java"}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return paths


# ------------------------------------------------------------------------------------------------------- runs


def method_config(method: str) -> Any:
    """The method config a comparison row runs (variants of the transducer by name)."""
    from transducer.config import TransducerConfig
    from transducer.methods import method_config as registered

    if method == "transducer_small":
        return TransducerConfig.small()
    if method == "transducer_minilm":
        from transducer.vectorizer import MINILM_ENCODER

        return TransducerConfig(node_encoder=MINILM_ENCODER)
    if method == "transducer_v2_edges":  # the edges of extractor version 2: no CFG labels, no CALL/ARGUMENT
        return TransducerConfig(edge_types=("AST", "CFG", "DDG", "CDG"), cfg_labels=False)
    return registered(method)


def train_and_evaluate(
    method: str, learning_rate: float, train_path: Path | None, eval_path: Path, protocol: Protocol, backbone: str,
    run_dir: Path, steps: int | None = None, analyse: bool = False,
) -> dict[str, Any]:
    """Train ``method`` (unless ``train_path`` is None) and score generation on ``eval_path``."""
    import lightning.pytorch as pl
    import torch

    from tasks import AdaptationModule, CodeTaskDataModule
    from tasks.module import GenerationSettings
    from transducer.backbone import BackboneConfig

    pl.seed_everything(protocol.seed, verbose=False)
    module = AdaptationModule(
        BackboneConfig(name_or_path=backbone), method_config(method), task="code_translation",
        learning_rate=learning_rate, warmup_steps=protocol.warmup_steps, lr_schedule=protocol.lr_schedule,
        generation=GenerationSettings(num_beams=protocol.num_beams, max_new_tokens=protocol.max_new_tokens,
                                      max_new_tokens_per_source_token=protocol.max_new_tokens_per_source_token),
    )
    data = CodeTaskDataModule(
        "code_translation", train=str(train_path) if train_path else None, test=str(eval_path),
        batch_size=protocol.batch_size, eval_batch_size=protocol.eval_batch_size,
        max_source_length=protocol.max_source_length, max_target_length=protocol.max_target_length, seed=protocol.seed,
        group_by_length=protocol.group_by_length,
    )
    trainer = make_trainer(run_dir, protocol, steps)
    trainable, total = module.adapted_model.trainable_parameters()
    timings = {}
    if train_path is not None and trainable:
        start = time.perf_counter()
        trainer.fit(module, data)
        timings["train_s"] = time.perf_counter() - start
    start = time.perf_counter()
    trainer.test(module, datamodule=data, verbose=False)
    timings["generate_s"] = time.perf_counter() - start
    result: dict[str, Any] = {
        "method": method, "learning_rate": learning_rate, "steps": trainer.global_step, "trainable_parameters": trainable,
        "total_parameters": total, "metrics": _read_metrics(run_dir), "timings": timings,
        "extractor_version": EXTRACTOR_VERSION, "torch_threads": torch.get_num_threads(),
    }
    if analyse:
        result["graph_ablation"] = graph_ablation(module, data, run_dir, protocol)
    return result


def make_trainer(run_dir: Path, protocol: Protocol, steps: int | None = None) -> Any:
    """A trainer without validation or checkpoints: ``steps`` steps, or the protocol's epochs."""
    import lightning.pytorch as pl

    budget = {"max_steps": steps} if steps is not None else {"max_epochs": protocol.final_epochs}
    return pl.Trainer(accelerator="cpu", devices=1, precision=protocol.precision, logger=False,
                      enable_checkpointing=False, enable_model_summary=False, limit_val_batches=0,
                      num_sanity_val_steps=0, default_root_dir=str(run_dir), **budget)


def graph_ablation(module: Any, data: Any, run_dir: Path, protocol: Protocol) -> dict[str, Any]:
    """Score the trained transducer with every sample's graph swapped for another's, and decompose its update."""
    from transducer.analysis import fusion_update_statistics

    samples = data.samples["test"]
    true_graphs = [sample.graph for sample in samples]
    statistics = fusion_update_statistics(module.adapted_model, list(data.test_dataloader()))
    order = list(range(len(samples)))
    rng = random.Random(protocol.seed)
    while any(i == j for i, j in enumerate(order)):  # a derangement: nobody keeps its own graph
        rng.shuffle(order)
    for sample, j in zip(samples, order):
        sample.graph = true_graphs[j]
    shuffled_dir = run_dir / "shuffled_graphs"
    start = time.perf_counter()
    make_trainer(shuffled_dir, protocol).test(module, datamodule=data, verbose=False)
    for sample, graph in zip(samples, true_graphs):
        sample.graph = graph
    return {"fusion_update": statistics, "shuffled_metrics": _read_metrics(shuffled_dir),
            "shuffled_generate_s": time.perf_counter() - start}


def _read_metrics(run_dir: Path) -> dict[str, float]:
    values = json.loads((run_dir / "metrics_test.json").read_text())
    return {k: float(v) for k, v in values.items() if isinstance(v, (int, float)) and k != "num_examples"}


def backbone_fingerprint(backbone: str) -> str:
    """The digest of the backbone's weights (``transducer.backbone.weights_fingerprint``): results on other weights
    must not mix with these."""
    from transformers import AutoModelForSeq2SeqLM

    from transducer.backbone import weights_fingerprint

    return weights_fingerprint(AutoModelForSeq2SeqLM.from_pretrained(backbone))


def copy_baseline(valid_path: Path) -> dict[str, Any]:
    """The naive copy baseline: the Java source as the C# prediction."""
    from tasks.metrics import compute_metrics

    records = [json.loads(line) for line in valid_path.read_text().splitlines()]
    result = compute_metrics([r["source"] for r in records], [r["target"] for r in records],
                             ("corpus_bleu", "exact_match", "codebleu"), language="c_sharp", per_instance=False)
    return {"method": COPY_BASELINE, "metrics": result.corpus, "trainable_parameters": 0}


def next_rate(rate: float, up: bool) -> float:
    """The neighbour of ``rate`` in the 1-3-10 sequence (1e-3 -> 3e-3 -> 1e-2 upwards)."""
    exponent = math.floor(math.log10(rate) + 1e-9)
    mantissa = round(rate / 10**exponent, 6)
    steps = {1.0: (3.0, 0.3), 3.0: (10.0, 1.0)}
    if mantissa not in steps:
        raise ValueError(f"learning rate {rate:g} is not of the 1-3-10 sequence")
    return float(f"{steps[mantissa][0 if up else 1] * 10**exponent:.3g}")


def learning_rate_grid(initial: tuple[float, ...], score: Callable[[float], dict[str, Any]], extensions: int) -> list[dict[str, Any]]:
    """Score every rate of ``initial``; while the best is at an edge of the rates tried, also score the next rate
    beyond that edge (at most ``extensions`` more). Returns the points in rate order."""
    points = {rate: score(rate) for rate in initial}
    for _ in range(extensions if points else 0):
        best = max(points.values(), key=lambda p: (p["metrics"]["corpus_bleu"], -p["learning_rate"]))["learning_rate"]
        if best == max(points):
            rate = next_rate(best, up=True)
        elif best == min(points):
            rate = next_rate(best, up=False)
        else:
            break
        points[rate] = score(rate)
    return [points[rate] for rate in sorted(points)]


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` to ``path`` atomically: a run killed mid-write leaves the old file or none, never half of one
    (a finished grid point or method is recognised by its file)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(partial, path)


def run_method(method: str, paths: dict[str, Path], protocol: Protocol, backbone: str, results: Path, work_dir: Path,
               rerun_older_graphs: bool = False) -> dict[str, Any]:
    """Learning-rate grid on the dev slice, then the final run; every finished step is written to ``results``.

    A step a graph method finished with an older graph extractor (:data:`EXTRACTOR_VERSION`) is kept (the report
    says which rows used which version) unless ``rerun_older_graphs``."""
    folder = results / method
    folder.mkdir(parents=True, exist_ok=True)
    final_path = folder / "result.json"

    def current(path: Path) -> bool:
        """Whether ``path`` holds a finished result to keep (with ``rerun_older_graphs``: of this graph extractor)."""
        if not path.exists():
            return False
        return (method not in GRAPH_METHODS or not rerun_older_graphs
                or json.loads(path.read_text()).get("extractor_version") == EXTRACTOR_VERSION)

    def grid_point(rate: float) -> dict[str, Any]:
        point_path = folder / f"grid_lr{rate:g}.json"
        if not current(point_path):
            print(f"[{method}] learning rate {rate:g}: {protocol.grid_steps} steps, scored on the dev slice", flush=True)
            point = train_and_evaluate(method, rate, paths["grid_train"], paths["dev"], protocol, backbone,
                                       work_dir / method / f"grid_lr{rate:g}", steps=protocol.grid_steps)
            write_json(point_path, point)
        return json.loads(point_path.read_text())

    grid = learning_rate_grid(LEARNING_RATE_GRIDS[method], grid_point, protocol.grid_extensions)
    best = max(grid, key=lambda p: (p["metrics"]["corpus_bleu"], -p["learning_rate"])) if grid else None
    rate = best["learning_rate"] if best else 0.0
    if current(final_path):  # finished: rerun only if a grown grid now chooses another rate
        finished = json.loads(final_path.read_text())
        if finished["learning_rate"] == rate:
            return finished
        print(f"[{method}] the grid now chooses {rate:g}, not {finished['learning_rate']:g}: final run again", flush=True)
    print(f"[{method}] final run" + (f" with learning rate {rate:g}" if best else " (nothing to train)"), flush=True)
    run_dir = work_dir / method / "final"
    # icl trains nothing but takes its demonstrations from the train split
    train_path = paths["train"] if best or method == "icl" else None
    result = train_and_evaluate(method, rate, train_path, paths["valid"], protocol, backbone, run_dir,
                                analyse=method == REFERENCE)
    result["grid"] = [{"learning_rate": p["learning_rate"], "dev_corpus_bleu": p["metrics"]["corpus_bleu"]} for p in grid]
    predictions = [json.loads(line) for line in (run_dir / "predictions_test.jsonl").read_text().splitlines()]
    with (folder / "predictions.jsonl").open("w", encoding="utf-8") as handle:
        for record in predictions:
            handle.write(json.dumps({"id": record["id"], "prediction": record["prediction"]}, ensure_ascii=False) + "\n")
    write_json(final_path, result)  # last: its presence marks the method finished
    return result


def run_methods(methods: list[str], paths: dict[str, Path], protocol: Protocol, backbone: str, results: Path,
                work_dir: Path, jobs: int, rerun_older_graphs: bool = False) -> None:
    """Run ``methods`` in order, ``jobs`` at a time (each job a process with ``cores // jobs`` torch threads); a
    method that fails is reported and the others go on."""
    arguments = (paths, protocol, backbone, results, work_dir, rerun_older_graphs)
    if jobs <= 1:
        for method in methods:
            print(_run_logged(method, *arguments), flush=True)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, (os.cpu_count() or 1) // jobs)
    context = multiprocessing.get_context("spawn")  # no fork after torch's thread pools started
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_set_threads, initargs=(threads,)) as pool:
        futures = [pool.submit(_run_logged, method, *arguments) for method in methods]  # started in this order
        for future in as_completed(futures):
            print(future.result(), flush=True)


def _set_threads(threads: int) -> None:
    """Worker set-up: ``threads`` torch threads; on Linux, end with the parent (a killed run leaves no workers).

    The signal is SIGKILL: Lightning installs its own SIGTERM handler while it runs, which does not end the process
    at once, and a SIGTERM left a training worker running after its parent was killed."""
    import torch

    torch.set_num_threads(threads)
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _run_logged(method: str, paths: dict[str, Path], protocol: Protocol, backbone: str, results: Path,
                work_dir: Path, rerun_older_graphs: bool) -> str:
    """:func:`run_method`; the line to log when it ends (a failure, e.g. a missing optional package, with its
    traceback: the report lists the method as not run)."""
    started = time.perf_counter()
    try:
        run_method(method, paths, protocol, backbone, results, work_dir, rerun_older_graphs)
    except Exception:  # one broken method must not stop the others
        return f"[{method}] failed; the report lists it as not run:\n{traceback.format_exc()}"
    return f"[{method}] done in {(time.perf_counter() - started) / 60:.1f} min"


def log_run(path: Path, methods: list[str], jobs: int, wall_s: float) -> None:
    """Append one invocation's wall time to ``path`` (the report sums them: the comparison's cost, over sittings)."""
    runs = json.loads(path.read_text()) if path.exists() else []
    runs.append({"finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "methods": methods, "jobs": jobs,
                 "cores": os.cpu_count(), "wall_s": round(wall_s, 1)})
    write_json(path, runs)


def rescore_codebleu(results: Path, valid_path: Path) -> list[str]:
    """Recompute the CodeBLEU metrics of every finished method from its stored predictions (this process runs with
    ``PYTHONHASHSEED=0``); returns the methods whose stored values changed."""
    from tasks.metrics import compute_metrics

    records = [json.loads(line) for line in valid_path.read_text().splitlines()]
    changed = []
    for result_path in sorted(results.glob("*/result.json")):
        method = result_path.parent.name
        if method == COPY_BASELINE:
            predictions = [r["source"] for r in records]
        else:
            lines = (result_path.parent / "predictions.jsonl").read_text().splitlines()
            by_id = {p["id"]: p["prediction"] for p in map(json.loads, lines)}
            predictions = [by_id[r["id"]] for r in records]
        scores = compute_metrics(predictions, [r["target"] for r in records], ("codebleu",), language="c_sharp",
                                 per_instance=False).corpus
        result = json.loads(result_path.read_text())
        fresh = {key: float(value) for key, value in scores.items() if key.startswith("codebleu")}
        if any(result["metrics"].get(key) != value for key, value in fresh.items()):
            result["metrics"].update(fresh)
            write_json(result_path, result)
            changed.append(method)
    return changed


# ------------------------------------------------------------------------------------------------------- report


def significance(results: Path, valid_path: Path, methods: list[str]) -> dict[str, dict[str, float]]:
    """Paired corpus-BLEU bootstrap of the transducer against every other finished method, Holm-corrected."""
    from tasks.metrics.corpus_bleu import bleu_from_statistics, bleu_statistics
    from tasks.significance import holm_bonferroni, paired_bootstrap_corpus

    references = {r["id"]: r for r in map(json.loads, valid_path.read_text().splitlines())}

    def statistics(method: str) -> np.ndarray:
        if method == COPY_BASELINE:
            predictions = {i: r["source"] for i, r in references.items()}
        else:
            lines = (results / method / "predictions.jsonl").read_text().splitlines()
            predictions = {r["id"]: r["prediction"] for r in map(json.loads, lines)}
        return np.stack([bleu_statistics(predictions[i], references[i]["target"]) for i in references])

    if not (results / REFERENCE / "predictions.jsonl").exists():
        return {}
    ours = statistics(REFERENCE)
    tests = {m: paired_bootstrap_corpus(ours, statistics(m), bleu_from_statistics, num_resamples=2000, seed=0)
             for m in methods if m != REFERENCE}
    adjusted = holm_bonferroni({m: t.p_value for m, t in tests.items()})
    return {m: {"difference": t.mean_difference, "ci_low": t.ci_low, "ci_high": t.ci_high, "p": t.p_value,
                "p_holm": adjusted[m]} for m, t in tests.items()}


def render_report(results: Path, valid_path: Path, protocol: Protocol, backbone: str, command: str) -> str:
    rows = {}
    for method in REPORT_ORDER:
        path = results / method / "result.json"
        if path.exists():
            rows[method] = json.loads(path.read_text())
    missing = [m for m in DEFAULT_METHODS if m not in rows]
    tests = significance(results, valid_path, list(rows))
    header = ["method", "trainable params", "lr (dev)", "BLEU", "EM", "CodeBLEU", "ngram", "w-ngram", "syntax",
              "dataflow", f"{REFERENCE} − method (BLEU) [95% CI]", "p (Holm)", "train min", "generate min"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method, row in rows.items():
        metrics = row["metrics"]
        cells = [method, f"{row.get('trainable_parameters', 0):,}", f"{row['learning_rate']:g}" if row.get("grid") else "—"]
        cells += [f"{metrics[m]:.2f}" if m in metrics else "—" for m in METRICS]
        test = tests.get(method)
        cells += [f"{test['difference']:+.2f} [{test['ci_low']:+.2f}, {test['ci_high']:+.2f}]", f"{test['p_holm']:.4f}"] if test else ["—", "—"]
        timings = row.get("timings", {})
        cells += [f"{timings['train_s'] / 60:.1f}" if "train_s" in timings else "—",
                  f"{timings['generate_s'] / 60:.1f}" if "generate_s" in timings else "—"]
        lines.append("| " + " | ".join(cells) + " |")
    shown = Path(backbone).resolve()
    shown = shown.relative_to(REPO_ROOT) if shown.is_relative_to(REPO_ROOT) else shown
    text = [
        f"Backbone `{shown.as_posix()}` (frozen except where the method trains it), CodeXGLUE Java→C#: trained on the "
        f"train pairs, scored on the {len(valid_path.read_text().splitlines())} validation pairs. Budget per method: {protocol.final_epochs} epoch(s) at "
        f"batch {protocol.batch_size}, {protocol.lr_schedule} schedule with {protocol.warmup_steps} warm-up steps, "
        f"{protocol.precision}; learning rate chosen from a 3-point grid ({protocol.grid_steps} steps each; grown by up to "
        f"{protocol.grid_extensions} points while its best is at an edge) on a "
        f"{protocol.dev_size}-pair dev slice carved from train; beam {protocol.num_beams}, up to "
        f"{protocol.max_new_tokens} new tokens and at most {protocol.max_new_tokens_per_source_token:g}× the longest source "
        "of the batch (validation batches go longest source first).",
        "",
        "\n".join(lines),
        "",
        "BLEU: CodeXGLUE code-to-code evaluator (corpus-level, whitespace tokens). EM: exact match. CodeBLEU "
        "(`codebleu` package) with its four components; the package counts the data-flow component as 1 when no "
        "reference has data flow, so on such data even an empty prediction scores 25 (per instance: a pair whose "
        "reference has no data flow scores at least 25). p (Holm): paired bootstrap (2,000 "
        "resamples of the corpus BLEU statistics), Holm–Bonferroni corrected over the family.",
    ]
    ablation = rows.get(REFERENCE, {}).get("graph_ablation")
    if ablation:
        shuffled, true = ablation["shuffled_metrics"], rows[REFERENCE]["metrics"]
        update = ablation["fusion_update"]
        text += ["", "**Graph contribution.** With every validation sample given another sample's graph, the trained "
                 f"transducer scores BLEU {shuffled['corpus_bleu']:.2f} (vs {true['corpus_bleu']:.2f} with its own; "
                 f"{shuffled['corpus_bleu'] - true['corpus_bleu']:+.2f}), EM {shuffled['exact_match']:.2f} "
                 f"({shuffled['exact_match'] - true['exact_match']:+.2f}). Its fusion update: "
                 f"{100 * update['constant_share']:.1f}% of its energy is one constant vector; swapping graphs moves it "
                 f"by {100 * update['graph_change']:.1f}%; it is {100 * update['update_to_embedding']:.1f}% of the token "
                 f"embeddings' norm."]
    older = {m: row.get("extractor_version") for m, row in rows.items()
             if m in GRAPH_METHODS and row.get("extractor_version") != EXTRACTOR_VERSION}
    if older:
        text += ["", f"Graph extractor: these rows used an older version than the current {EXTRACTOR_VERSION} (rerun "
                 "them with `--rerun-older-graphs`): " + ", ".join(f"{m} (v{v})" for m, v in older.items()) + "."]
    runs_path = results / "runs.json"
    if runs_path.exists():
        runs = json.loads(runs_path.read_text())
        text += ["", f"Wall time: {sum(r['wall_s'] for r in runs) / 3600:.2f} h over {len(runs)} invocation(s) ("
                 + "; ".join(f"{r['wall_s'] / 60:.0f} min with --jobs {r['jobs']} on {r['cores']} cores, {r['finished']}"
                             for r in runs) + ")."]
    if missing:
        text += ["", f"Not run yet: {', '.join(missing)} (rerun the command to continue)."]
    text += ["", f"Command: `{command}`"]
    report = "\n".join(text) + "\n"
    (results / "report.md").write_text(report)
    plot(rows, results / "chart.png")
    return report


def plot(rows: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(rows)
    figure, axis = plt.subplots(figsize=(9, 4))
    values = [rows[n]["metrics"]["corpus_bleu"] for n in names]
    colours = ["tab:orange" if n.startswith("transducer") else "tab:gray" if n in (COPY_BASELINE, "no_finetune") else "tab:blue"
               for n in names]
    axis.bar(names, values, color=colours)
    for x, value in enumerate(values):
        axis.text(x, value, f"{value:.1f}", ha="center", va="bottom", fontsize=8)
    axis.set_ylabel("BLEU (CodeXGLUE code-to-code)")
    axis.set_title("Java→C# validation BLEU per method, same frozen pretrained backbone and budget")
    axis.tick_params(axis="x", rotation=45)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def update_benchmarks_md(report: str, chart: Path) -> None:
    """Replace the quality section of BENCHMARKS.md (between its markers) with ``report``."""
    path = REPO_ROOT / "BENCHMARKS.md"
    start, end = "<!-- quality-comparison:start -->", "<!-- quality-comparison:end -->"
    body = f"{start}\n{report}\n![Validation BLEU per method]({chart.relative_to(REPO_ROOT).as_posix()})\n{end}"
    text = path.read_text()
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: body, text, flags=re.DOTALL)
    else:
        text = text.rstrip() + f"\n\n## Quality comparison on the shipped pretrained backbone\n\n{body}\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> None:
    if os.environ.get("PYTHONHASHSEED") != "0" and argv is None:  # CodeBLEU's data-flow match depends on it
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "codexglue-java-cs")
    parser.add_argument("--backbone", default=str(REPO_ROOT / "models" / "code-t5-mini"))
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results" / "java_cs_quality")
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / "outputs" / "quality")
    parser.add_argument("--methods", nargs="*", default=list(DEFAULT_METHODS),
                        help=f"methods to run (default: {' '.join(DEFAULT_METHODS)}; also available: "
                             f"{' '.join(m for m in LEARNING_RATE_GRIDS if m not in DEFAULT_METHODS)})")
    parser.add_argument("--report", action="store_true", help="only render the report from finished methods")
    parser.add_argument("--no-benchmarks-md", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--jobs", type=int, default=1,
                        help="methods trained at once, each in a process with cores/jobs torch threads (default 1)")
    parser.add_argument("--rescore-codebleu", action="store_true",
                        help="recompute finished methods' CodeBLEU from their predictions (PYTHONHASHSEED=0), then report")
    parser.add_argument("--rerun-older-graphs", action="store_true",
                        help="rerun graph methods finished with an older graph extractor (default: keep them; the "
                             "report names their version)")
    parser.add_argument("--limit", type=int, help="read only the first N pairs of each split (smoke tests)")
    for field in dataclasses.fields(Protocol):
        flag = f"--{field.name.replace('_', '-')}"
        if isinstance(field.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default)
        else:
            parser.add_argument(flag, type=type(field.default), default=field.default)
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    unknown = sorted(set(args.methods) - set(LEARNING_RATE_GRIDS))
    if unknown:
        parser.error(f"unknown methods {unknown}; available: {', '.join(LEARNING_RATE_GRIDS)}")
    protocol = Protocol(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Protocol)})
    args.results.mkdir(parents=True, exist_ok=True)
    saved = args.results / "protocol.json"
    settings = {**asdict(protocol), "backbone_weights": backbone_fingerprint(args.backbone)}
    if saved.exists() and json.loads(saved.read_text()) != settings:
        parser.error(f"{args.results} holds results of another protocol or backbone ({saved}); use another --results folder")
    write_json(saved, settings)
    paths = prepare_data(args.data, args.work_dir, protocol, args.limit)
    if args.rescore_codebleu:
        print(f"CodeBLEU rescored with PYTHONHASHSEED=0; changed: {rescore_codebleu(args.results, paths['valid']) or 'none'}")
    elif not args.report:
        copy_path = args.results / COPY_BASELINE / "result.json"
        copy_path.parent.mkdir(exist_ok=True)
        write_json(copy_path, copy_baseline(paths["valid"]))
        started = time.perf_counter()
        run_methods(args.methods, paths, protocol, args.backbone, args.results, args.work_dir, args.jobs,
                    args.rerun_older_graphs)
        log_run(args.results / "runs.json", args.methods, args.jobs, time.perf_counter() - started)
    command = "python benchmarks/quality_comparison.py" + ("" if args.limit is None else f" --limit {args.limit}")
    report = render_report(args.results, paths["valid"], protocol, args.backbone, command)
    if not args.no_benchmarks_md:
        update_benchmarks_md(report, args.results / "chart.png")
    print(report)


if __name__ == "__main__":
    main()
