"""Exact resume of ``transducer fit --ckpt_path``: per-batch random seeds, and one run folder across sittings.

Lightning's checkpoints restore weights, optimizer, scheduler and loop counters, but not the random generators, so a
resumed run draws other dropout masks than the uninterrupted run would have. :class:`BatchSeeds` makes every
training batch's randomness a function of where training is (run seed, rank, epoch, batch index), so it does not
matter what ran before. It also records the run folder in checkpoints; :func:`resumed_logger` then points the CSV
logger of the resumed sitting at that folder, and :class:`ContinuingCSVLogger` keeps the earlier sitting's rows, so
``metrics.csv`` and ``loss_curve.png`` cover the whole run.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.fabric.loggers.csv_logs import _ExperimentWriter
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment


class BatchSeeds(pl.Callback):
    """Seed torch's generators (CPU and CUDA) before every training batch from ``(seed, rank, epoch, batch index)``.

    ``seed`` is the run's seed (``torch.initial_seed()`` after ``seed_everything``), saved in checkpoints with the
    run folder and restored from them, so a resumed run reuses both even if its command line seeds differently.
    """

    def __init__(self) -> None:
        self.seed: int | None = None
        self.run_dir: str | None = None
        self.restored = False

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit":
            self.seed = torch.initial_seed() if self.seed is None else self.seed
            self.run_dir = str(trainer.log_dir or trainer.default_root_dir)  # every rank (broadcast from rank 0)

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int) -> None:
        if self.restored:
            # Resuming from a checkpoint written at an epoch's closing validation, Lightning (2.6.6) sets its logging
            # step one past the global step (``_TrainingEpochLoop.reset``), so the resumed sitting's rows would be
            # logged one step late. With one optimizer both count optimizer steps: make them agree again.
            trainer.fit_loop.epoch_loop._batches_that_stepped = trainer.global_step
            self.restored = False
        words = np.random.SeedSequence([self.seed or 0, trainer.global_rank, trainer.current_epoch, batch_idx])
        torch.manual_seed(int(words.generate_state(1, dtype=np.uint64)[0] >> 1))

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "run_dir": self.run_dir}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.seed = state_dict.get("seed", self.seed)
        self.restored = True


def checkpoint_run_state(checkpoint_path: str | Path) -> tuple[str | None, int]:
    """``(run folder, global step)`` recorded in a checkpoint (``None`` for checkpoints written without
    :class:`BatchSeeds`)."""
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    for key, state in checkpoint.get("callbacks", {}).items():
        if key.split("{")[0] == BatchSeeds.__qualname__ and isinstance(state, dict):
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
