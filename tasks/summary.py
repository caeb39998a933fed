"""The end-of-run summary: where a command wrote its adapter, checkpoints, predictions and metrics, and how long
each phase took."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.callbacks import best_checkpoint_path, run_dir

#: (label, file or folder name in the run folder), in the order they are listed
RUN_ARTIFACTS = (
    ("adapter", "adapter"),
    ("test predictions", "predictions_test.jsonl"),
    ("test metrics", "metrics_test.json"),
    ("untrained test metrics", "metrics_test_before_fit.json"),
    ("validation predictions", "predictions_validation.jsonl"),
    ("validation metrics", "metrics_validation.json"),
    ("predictions", "predictions.jsonl"),
    ("training curves", "metrics.csv"),
    ("loss curve", "loss_curve.png"),
)


def run_summary(subcommand: str, trainer: Any, module: Any, datamodule: Any, training_seconds: float | None) -> str:
    """Lines naming every artifact the run left and the time of each phase (graphs, node-text tokenization,
    training, generation)."""
    directory = run_dir(trainer)
    lines = [f"transducer {subcommand} done; run folder {directory}"]
    lines += [f"  {label:<24} {directory / name}" for label, name in RUN_ARTIFACTS if (directory / name).exists()]
    folders = {Path(c.dirpath) for c in trainer.checkpoint_callbacks if c.dirpath}
    last = next((folder / "last.ckpt" for folder in folders if (folder / "last.ckpt").exists()), None)  # the CLI's
    for label, path in (("best checkpoint", best_checkpoint_path(trainer)), ("last checkpoint", last)):
        if path and Path(path).exists():
            lines.append(f"  {label:<24} {path}")
    timings = dict(getattr(datamodule, "timings", {}))
    phases = [("graphs", timings.get("graphs_s")), ("node-text tokenization", timings.get("graph_encoding_s")),
              ("training", training_seconds), ("generation", getattr(module, "generation_seconds", None))]
    lines.append("  time: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases if seconds is not None))
    return "\n".join(lines)
