"""One training run of the comparison: a learning-rate grid point (dev loss after a short run with the final
run's schedule shape) or a final run (dev loss ``evaluations_per_epoch`` times per epoch; the checkpoint with the
lowest dev loss generates for the scored split, and for the external sample where there is one, each also scored
by teacher-forced loss)."""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from cpg.cache import EXTRACTOR_VERSION
from tasks.comparison.data import read_jsonl
from tasks.comparison.protocol import Protocol
from tasks.comparison.task_setups import ComparisonTask


@dataclass
class RunOutput:
    """A final run: its ``result`` record, its ``predictions`` (``id``, ``prediction``) for the scored split,
    and, for graph methods, the predictions with every sample given another sample's graph."""

    result: dict[str, Any]
    predictions: list[dict[str, str]]
    shuffled_predictions: list[dict[str, str]] | None = None
    external_predictions: list[dict[str, str]] | None = None


class DevLossLog(pl.Callback):
    """Records ``{"step", "dev_loss"}`` at every validation during ``fit``."""

    def __init__(self) -> None:
        self.points: list[dict[str, float]] = []

    def on_validation_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        loss = trainer.callback_metrics.get("val_loss")
        if not trainer.sanity_checking and loss is not None:
            self.points.append({"step": trainer.global_step, "dev_loss": float(loss)})


def build_module(task: ComparisonTask, method: str, learning_rate: float, steps: int, protocol: Protocol,
                 backbone: str) -> Any:
    """The harness module for ``method`` (a registered method or preset), with the protocol's optimizer, schedule
    (warm-up ``protocol.warmup_fraction`` of ``steps``, then linear decay) and generation settings."""
    from tasks import AdaptationModule
    from tasks.module import GenerationSettings
    from transducer.backbone import BackboneConfig
    from transducer.methods import method_config

    return AdaptationModule(
        BackboneConfig(name_or_path=backbone), method_config(method), task=task.name, learning_rate=learning_rate,
        weight_decay=protocol.weight_decay, warmup_steps=protocol.warmup_steps(steps), lr_schedule="linear",
        generation=GenerationSettings(num_beams=protocol.num_beams, max_new_tokens=protocol.max_new_tokens,
                                      max_new_tokens_per_source_token=protocol.max_new_tokens_per_source_token),
        validation_generates=False,
    )


def build_data(task: ComparisonTask, paths: dict[str, Path], protocol: Protocol, seed: int, train: bool, dev: bool,
               test: bool, scored: str = "scored") -> Any:
    """The harness data: ``paths[scored]`` is its test split (``"scored"``, or ``"external"``)."""
    from tasks import CodeTaskDataModule

    return CodeTaskDataModule(
        task.name, train=str(paths["train"]) if train else None, validation=str(paths["dev"]) if dev else None,
        test=str(paths[scored]) if test else None, batch_size=protocol.batch_size,
        eval_batch_size=protocol.eval_batch_size, max_source_length=protocol.max_source_length,
        max_target_length=protocol.max_target_length, seed=seed, group_by_length=protocol.group_by_length,
    )


def make_trainer(run_dir: Path, precision: str, **options: Any) -> pl.Trainer:
    """A quiet trainer (no logger, no progress bar) writing its outputs under ``run_dir``."""
    from tasks.trainer import Trainer

    options.setdefault("enable_checkpointing", False)
    return Trainer(accelerator="auto", devices=1, precision=precision, logger=False, enable_model_summary=False,
                   enable_progress_bar=False, num_sanity_val_steps=0, default_root_dir=str(run_dir), **options)


def grid_point(task: ComparisonTask, method: str, learning_rate: float, paths: dict[str, Path], protocol: Protocol, backbone: str,
               run_dir: Path, precision: str, train_size: int) -> dict[str, Any]:
    """Train ``selection_steps`` steps at ``learning_rate`` (first seed) and score the dev loss."""
    seed = protocol.seeds[0]
    steps = protocol.selection_steps(train_size)
    shutil.rmtree(run_dir, ignore_errors=True)  # what an interrupted attempt left
    pl.seed_everything(seed, verbose=False)
    module = build_module(task, method, learning_rate, steps, protocol, backbone)
    data = build_data(task, paths, protocol, seed, train=True, dev=True, test=False)
    started = time.perf_counter()
    make_trainer(run_dir, precision, max_steps=steps, limit_val_batches=0).fit(module, data)
    train_s = time.perf_counter() - started
    scores = make_trainer(run_dir, precision).validate(module, datamodule=data, verbose=False)[0]
    return {"method": method, "method_config": method_record(method), "learning_rate": learning_rate, "seed": seed,
            "steps": steps, "dev_loss": float(scores["val_loss"]), "train_s": round(train_s, 1)}


def method_record(method: str) -> dict[str, Any]:
    """What ``method`` (a method or preset name) builds today: its registered method and every hyperparameter, as
    JSON holds it. A result made with another record (a default changed since) is not this method's any more."""
    import json

    from transducer.methods import method_config

    config = method_config(method)
    return json.loads(json.dumps({"method": config.method_name, **config.to_dict()}, default=str))


def final_run(task: ComparisonTask, method: str, learning_rate: float, seed: int, paths: dict[str, Path], protocol: Protocol,
              backbone: str, run_dir: Path, precision: str, train_size: int) -> RunOutput:
    """Train (when the method trains anything) with dev-loss checkpoints, then generate for the scored split from
    the best one; graph methods generate once more with shuffled graphs."""
    import torch
    from lightning.pytorch.callbacks import ModelCheckpoint

    steps = protocol.final_steps(train_size)
    shutil.rmtree(run_dir, ignore_errors=True)  # what an interrupted attempt left
    pl.seed_everything(seed, verbose=False)
    module = build_module(task, method, learning_rate, steps, protocol, backbone)
    trainable, total = module.adapted_model.trainable_parameters()
    trains = trainable > 0
    data = build_data(task, paths, protocol, seed, train=trains or method == "icl", dev=trains, test=True)
    timings: dict[str, float] = {}
    evaluations: list[dict[str, float]] = []
    best_path = None
    if trains:
        log = DevLossLog()
        checkpoint = ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="best-{step}", monitor="val_loss",
                                     mode="min", save_top_k=1, save_weights_only=True)
        trainer = make_trainer(run_dir, precision, max_steps=steps, callbacks=[log, checkpoint],
                               val_check_interval=protocol.evaluation_interval(train_size), enable_checkpointing=True)
        started = time.perf_counter()
        trainer.fit(module, data)
        timings["train_s"] = round(time.perf_counter() - started, 1)
        evaluations, best_path = log.points, checkpoint.best_model_path
    started = time.perf_counter()
    scores = make_trainer(run_dir, precision).test(module, datamodule=data, ckpt_path=best_path or None, verbose=False)[0]
    timings["generate_s"] = round(time.perf_counter() - started, 1)
    predictions = generated_predictions(run_dir)
    best = min(evaluations, key=lambda p: p["dev_loss"]) if evaluations else None
    result: dict[str, Any] = {
        "method": method, "method_config": method_record(method), "seed": seed, "learning_rate": learning_rate,
        "steps": steps if trains else 0,
        "trainable_parameters": trainable, "total_parameters": total,
        "metrics": {**score_predictions(task, predictions, paths["scored"]), "loss": float(scores["test_loss"])},
        "evaluations": evaluations, "best_step": best and best["step"], "timings": timings, "precision": precision,
        "torch_threads": torch.get_num_threads(), "extractor_version": EXTRACTOR_VERSION,
    }
    external = None
    if "external" in paths:  # the best checkpoint is in ``module`` since its test
        result["external"], external = external_run(task, module, paths, protocol, seed, run_dir, precision,
                                                    demonstrations=method == "icl")
    shuffled = None
    if module.adapted_model.uses_graph:
        result["graph_ablation"], shuffled = shuffled_graph_run(task, module, data, run_dir, precision, seed,
                                                                paths["scored"])
    return RunOutput(result, predictions, shuffled, external)


def external_run(task: ComparisonTask, module: Any, paths: dict[str, Path], protocol: Protocol, seed: int,
                 run_dir: Path, precision: str, demonstrations: bool) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Generate for the external sample with ``module`` as it is (the best checkpoint): its metrics (with
    teacher-forced loss) and predictions. ``demonstrations``: the method reads training pairs (ICL)."""
    data = build_data(task, paths, protocol, seed, train=demonstrations, dev=False, test=True, scored="external")
    external_dir = run_dir / "external"
    started = time.perf_counter()
    scores = make_trainer(external_dir, precision).test(module, datamodule=data, verbose=False)[0]
    predictions = generated_predictions(external_dir)
    metrics = {**score_predictions(task, predictions, paths["external"]), "loss": float(scores["test_loss"])}
    return {"metrics": metrics, "generate_s": round(time.perf_counter() - started, 1)}, predictions


def shuffled_graph_run(task: ComparisonTask, module: Any, data: Any, run_dir: Path, precision: str, seed: int,
                       scored_path: Path) -> tuple[dict[str, Any], list[dict]]:
    """Generate again with every scored sample given another sample's graph (a seeded derangement); with the
    fusion injection, also decompose the fusion update (:func:`transducer.analysis.fusion_update_statistics`)."""
    samples = data.samples["test"]
    true_graphs = [sample.graph for sample in samples]
    order = list(range(len(samples)))
    rng = random.Random(seed)
    while len(order) > 1 and any(i == j for i, j in enumerate(order)):  # nobody keeps its own graph
        rng.shuffle(order)
    ablation: dict[str, Any] = {}
    model = module.adapted_model
    if getattr(getattr(model, "transducer", None), "fusion", None) is not None:
        from transducer.analysis import fusion_update_statistics

        ablation["fusion_update"] = fusion_update_statistics(model, list(data.test_dataloader()))
    for sample, j in zip(samples, order):
        sample.graph = true_graphs[j]
    shuffled_dir = run_dir / "shuffled_graphs"
    started = time.perf_counter()
    scores = make_trainer(shuffled_dir, precision).test(module, datamodule=data, verbose=False)[0]
    for sample, graph in zip(samples, true_graphs):
        sample.graph = graph
    predictions = generated_predictions(shuffled_dir)
    ablation["metrics"] = {**score_predictions(task, predictions, scored_path), "loss": float(scores["test_loss"])}
    ablation["generate_s"] = round(time.perf_counter() - started, 1)
    return ablation, predictions


def generated_predictions(run_dir: Path) -> list[dict[str, str]]:
    """``id`` and ``prediction`` of what a test run under ``run_dir`` generated (its ``predictions_test.jsonl``)."""
    return [{"id": r["id"], "prediction": r["prediction"]} for r in read_jsonl(run_dir / "predictions_test.jsonl")]


def score_predictions(task: ComparisonTask, predictions: list[dict[str, Any]], scored_path: Path) -> dict[str, float]:
    """The task's metrics (:attr:`ComparisonTask.metrics`) of ``predictions`` (by id) on the scored split."""
    from tasks.metrics import compute_metrics

    references = read_jsonl(scored_path)
    by_id = {p["id"]: p["prediction"] for p in predictions}
    missing = [r["id"] for r in references if r["id"] not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} scored pairs have no prediction (first: {missing[0]})")
    result = compute_metrics([by_id[r["id"]] for r in references], [r["target"] for r in references], task.metrics,
                             language=task.target_language, per_instance=False)
    return {name: float(value) for name, value in result.corpus.items()}
