"""Interrupted runs are not successes: SIGTERM or SIGINT (Ctrl+C) during ``fit`` writes ``last.ckpt``, says where it
is and how to resume, and the command exits 143 (SIGTERM) or 130 (SIGINT), as a shell reports a process those
signals ended, so a scheduler records the run as killed. (Lightning alone leaves no checkpoint and exits 0 on
SIGTERM, 1 on SIGINT.)"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.exceptions import SIGTERMException

#: exit status of a run interrupted by SIGTERM / SIGINT (128 + the signal's number)
SIGTERM_EXIT, SIGINT_EXIT = 143, 130


def checkpoint_dir(default_root_dir: str | None) -> str:
    """Where the CLI keeps a run's checkpoints (``last.ckpt`` for ``--ckpt_path last``)."""
    return str(Path(default_root_dir or ".") / "checkpoints")


class InterruptCheckpoint(pl.Callback):
    """On SIGTERM or SIGINT during ``fit``: save ``<default_root_dir>/checkpoints/last.ckpt`` and log how to resume;
    ``exit_code`` is then 143 or 130 (the CLI exits with it)."""

    def __init__(self) -> None:
        self.exit_code: int | None = None

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if trainer.state.fn != TrainerFn.FITTING:
            return
        if isinstance(exception, SIGTERMException):
            self.exit_code, name = SIGTERM_EXIT, "SIGTERM"
        elif isinstance(exception, KeyboardInterrupt):
            self.exit_code, name = SIGINT_EXIT, "SIGINT"
        else:
            return
        path = Path(checkpoint_dir(trainer.default_root_dir)) / "last.ckpt"
        trainer.save_checkpoint(path)
        rank_zero_info(f"interrupted by {name} at step {trainer.global_step}: checkpoint written to {path}; resume "
                       "with the same command and --ckpt_path last")
