"""One run folder across the sittings of ``transducer fit --ckpt_path`` (the random state of an exact resume is
:class:`~tasks.module.AdaptationModule`'s per-batch seeding).

:class:`RunFolderRecord` records the run folder in checkpoints; the CLI then points the CSV logger of the resumed
sitting at that folder (:func:`checkpoint_run_state`), and :class:`ContinuingCSVLogger` keeps the earlier sitting's
rows, so ``metrics.csv`` and ``loss_curve.png`` cover the whole run.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.fabric.loggers.csv_logs import _ExperimentWriter
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment


class RunFolderRecord(pl.Callback):
    """Records the run folder (the logger's version folder) in checkpoints, so that ``fit --ckpt_path`` can
    continue logging into it."""

    def __init__(self) -> None:
        self.run_dir: str | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit":
            self.run_dir = str(trainer.log_dir or trainer.default_root_dir)  # every rank (broadcast from rank 0)

    def state_dict(self) -> dict[str, Any]:
        return {"run_dir": self.run_dir}


def checkpoint_run_state(checkpoint_path: str | Path) -> tuple[str | None, int]:
    """``(run folder, global step)`` recorded in a checkpoint (``None`` for checkpoints written without
    :class:`RunFolderRecord`)."""
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    for key, state in checkpoint.get("callbacks", {}).items():
        if key.split("{")[0] == RunFolderRecord.__qualname__ and isinstance(state, dict):
            return state.get("run_dir"), int(checkpoint.get("global_step", 0))
    return None, int(checkpoint.get("global_step", 0))


class ContinuingCSVLogger(CSVLogger):
    """A ``CSVLogger`` that continues an earlier sitting's ``metrics.csv`` in the same version folder: rows logged
    before ``resume_step`` are kept (later ones belong to training the checkpoint does not hold), the rest is
    appended. Without ``resume_step`` it is a plain ``CSVLogger``."""

    def __init__(self, *args: Any, resume_step: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resume_step = resume_step

    @property
    @rank_zero_experiment
    def experiment(self) -> _ExperimentWriter:
        if self._experiment is not None:
            return self._experiment
        metrics_file = Path(self.log_dir) / _ExperimentWriter.NAME_METRICS_FILE
        kept: list[dict[str, str]] = []
        header: list[str] = []
        if self.resume_step is not None and metrics_file.is_file():
            with metrics_file.open(newline="") as handle:
                reader = csv.DictReader(handle)
                header = list(reader.fieldnames or [])
                kept = [row for row in reader if row.get("step") and int(row["step"]) < self.resume_step]
        with warnings.catch_warnings():  # "previous log files will be deleted": the kept rows are written back below
            warnings.simplefilter("ignore")
            self._experiment = super().experiment
        if kept:
            with metrics_file.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=header)
                writer.writeheader()
                writer.writerows(kept)
            self._experiment.metrics_keys = sorted(header)
        return self._experiment
