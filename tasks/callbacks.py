"""Callbacks that write a run's artifacts: the adapter, the loss-curve plot, and prediction files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import BasePredictionWriter

from tasks.distributed import gather_records


def run_dir(trainer: pl.Trainer) -> Path:
    """The folder of this run's logs and artifacts (the logger's version folder). Under DDP it is broadcast
    from rank 0, so every rank must call it."""
    return Path(trainer.log_dir or trainer.default_root_dir)


def best_checkpoint_path(trainer: pl.Trainer) -> str | None:
    """The best checkpoint of the callback that monitors a metric (``None`` when nothing was saved)."""
    for callback in trainer.checkpoint_callbacks:
        if callback.monitor and callback.best_model_path:
            return callback.best_model_path
    return None


class ExportArtifacts(pl.Callback):
    """At the end of ``fit``: restore the best checkpoint's weights, write the adapter (``<run>/adapter``) with
    ``save_pretrained``, and plot the loss curves with the monitored validation metric and the best checkpoint's
    step (``<run>/loss_curve.png``)."""

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        best = best_checkpoint_path(trainer)
        checkpoint = torch.load(best, map_location="cpu", weights_only=False) if best else {}
        if checkpoint:
            pl_module.load_state_dict(checkpoint["state_dict"], strict=False)
        directory = run_dir(trainer)
        if not trainer.is_global_zero:
            return
        pl_module.adapted_model.save_pretrained(directory / "adapter")
        metrics_file = directory / "metrics.csv"
        if metrics_file.is_file():
            monitor = next((c.monitor for c in trainer.checkpoint_callbacks if c.monitor), None)
            best_step = checkpoint.get("global_step")
            title = f"{pl_module.method_config.method_name} on {pl_module.task.name}"
            plot_loss_curve(metrics_file, directory / "loss_curve.png", monitor, best_step, title)


def plot_loss_curve(metrics_csv: Path, output: Path, metric: str | None = None, best_step: int | None = None,
                    title: str = "Training run") -> None:
    """Plot ``train_loss`` and ``val_loss`` against the step from a CSV logger's ``metrics.csv``, the validation
    ``metric`` (e.g. ``val_bleu``) on a second axis, and a marker at the best checkpoint's step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["train_loss", "val_loss", *([metric] if metric else [])]
    series: dict[str, tuple[list[int], list[float]]] = {name: ([], []) for name in names}
    with metrics_csv.open() as handle:
        for row in csv.DictReader(handle):
            for name, (steps, values) in series.items():
                if row.get(name):
                    steps.append(int(row["step"]))
                    values.append(float(row[name]))
    figure, axis = plt.subplots(figsize=(7, 4))
    for name in ("train_loss", "val_loss"):
        steps, values = series[name]
        if steps:
            axis.plot(steps, values, marker="o" if name == "val_loss" else None, label=name)
    if metric and series[metric][0]:
        other = axis.twinx()
        other.plot(*series[metric], "s--", color="tab:green", label=metric)
        other.set_ylabel(metric)
        other.legend(loc="upper right")
    if best_step is not None:
        axis.axvline(best_step, color="tab:red", linestyle=":", label=f"best checkpoint (step {best_step})")
    axis.set_xlabel("step")
    axis.set_ylabel("loss")
    axis.set_title(title)
    axis.legend(loc="upper left")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(output, dpi=100)
    plt.close(figure)


class PredictionsWriter(BasePredictionWriter):
    """Write ``predict`` outputs as JSONL (``id``, ``source``, ``prediction``) to ``<run>/predictions.jsonl``
    (or ``output_path``)."""

    def __init__(self, output_path: str | None = None) -> None:
        super().__init__(write_interval="epoch")
        self.output_path = output_path

    def write_on_epoch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, predictions: Any, batch_indices: Any
    ) -> None:
        path = Path(self.output_path) if self.output_path else run_dir(trainer) / "predictions.jsonl"
        records = gather_records([record for batch in predictions for record in batch])
        if not trainer.is_global_zero:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as handle:
            for record in records:
                handle.write(json.dumps(record) + "\n")
        print(f"predictions written to {path}")
