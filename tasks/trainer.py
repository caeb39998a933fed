"""The harness's ``Trainer``: Lightning's, with ``precision="auto"`` (the default) chosen by hardware.

``auto`` trains in ``bf16-mixed`` only where the device computes bf16 natively and in fp32 elsewhere
(:func:`transducer.precision.resolve_precision`), and logs which it chose and why in one line. Every other
precision value goes to Lightning unchanged. Without a ``logger`` it logs to CSV under ``default_root_dir``
(``<root>/run/version_N``), as the CLI does; without a progress bar it shows :class:`~tasks.progress.GenerationProgressBar`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback, ProgressBar
from lightning.pytorch.loggers import CSVLogger, Logger
from lightning.pytorch.utilities import rank_zero_info

from tasks.progress import GenerationProgressBar
from transducer.precision import AUTO, resolve_precision


class Trainer(pl.Trainer):
    """:class:`lightning.pytorch.Trainer` whose ``precision`` may be ``"auto"`` (the default)."""

    def __init__(self, *args: Any, precision: str | int | None = AUTO,
                 logger: Logger | Iterable[Logger] | bool | None = None,
                 callbacks: list[Callback] | Callback | None = None, enable_progress_bar: bool | None = None,
                 **kwargs: Any) -> None:
        if logger in (None, True):
            logger = CSVLogger(kwargs.get("default_root_dir") or ".", name="run")
        callbacks = [callbacks] if isinstance(callbacks, Callback) else list(callbacks or [])
        if enable_progress_bar is not False and not any(isinstance(c, ProgressBar) for c in callbacks):
            callbacks.append(GenerationProgressBar())  # moves while a batch generates
        if precision in (None, AUTO):
            choice = resolve_precision(precision, kwargs.get("accelerator", AUTO))
            rank_zero_info(choice.describe())
            precision = choice.precision
        super().__init__(*args, precision=precision, logger=logger, callbacks=callbacks,
                         enable_progress_bar=enable_progress_bar, **kwargs)
