"""A progress bar that keeps moving while a batch generates.

Lightning's bars advance once per batch; a CPU can spend a minute generating one evaluation batch, during which
the bar showed ``0/4 … -:--:-- 0.00it/s`` as if stalled. :class:`GenerationProgressBar` (Lightning's rich bar)
adds the decoding step to the running bar's description (``Testing · generating token 37/300``), and
:func:`generation_progress` turns a bar into the stopping criterion that ``generate`` calls once per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from lightning.pytorch.callbacks import RichProgressBar
from transformers import StoppingCriteria

#: seconds between two description updates (a step can take milliseconds)
REFRESH_SECONDS = 0.5


class GenerationStepReporter(StoppingCriteria):
    """A stopping criterion that never stops: it reports each decoding step to ``report(step, budget)``."""

    def __init__(self, report: Callable[[int, int], None], budget: int) -> None:
        self.report, self.budget, self.step = report, budget, 0

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        self.step += 1
        self.report(self.step, self.budget)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


class GenerationProgressBar(RichProgressBar):
    """Lightning's rich progress bar, with the current batch's decoding step in the evaluation bar's description."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_update = 0.0

    def show_generation_step(self, step: int, budget: int) -> None:
        """Put ``generating token step/budget`` in the running evaluation bar (a batch's first and last steps, and
        others at most every REFRESH_SECONDS)."""
        now = time.monotonic()
        throttled = 1 < step < budget and now - self._last_update < REFRESH_SECONDS
        if self.is_disabled or self.progress is None or throttled:
            return
        running = self._running_evaluation()
        if running is None:
            return
        task_id, description = running
        self.progress.update(task_id, description=f"{description} · generating token {step}/{budget}")
        self.refresh()
        self._last_update = now

    def _running_evaluation(self) -> tuple[Any, str] | None:
        trainer = self.trainer
        if trainer.testing and self.test_progress_bar_id is not None:
            return self.test_progress_bar_id, self.test_description
        if trainer.predicting and self.predict_progress_bar_id is not None:
            return self.predict_progress_bar_id, self.predict_description
        if (trainer.validating or trainer.sanity_checking) and self.val_progress_bar_id is not None:
            return self.val_progress_bar_id, self.validation_description
        return None


def generation_progress(trainer: Any, budget: int) -> list[StoppingCriteria]:
    """The stopping criteria that report ``generate``'s steps to ``trainer``'s progress bar (none when the bar is not
    a :class:`GenerationProgressBar`, or there is no trainer)."""
    bar = getattr(trainer, "progress_bar_callback", None) if trainer is not None else None
    if not isinstance(bar, GenerationProgressBar):
        return []
    return [GenerationStepReporter(bar.show_generation_step, budget)]
