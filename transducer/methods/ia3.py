"""(IA)^3 (Liu et al., 2022) through ``peft``: trainable vectors rescaling keys, values and feed-forward activations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from peft import IA3Config, TaskType

from transducer.methods.peft_adapter import PeftMethodConfig


@dataclass
class IA3MethodConfig(PeftMethodConfig):
    """IA3 targets; ``None`` uses peft's default for the architecture (T5: k, v, wo with wo feed-forward).

    ``feedforward_modules`` must be a subset of ``target_modules``.
    """

    method_name: ClassVar[str] = "ia3"

    target_modules: list[str] | None = None
    feedforward_modules: list[str] | None = None

    def peft_config(self, task_type: TaskType) -> IA3Config:
        return IA3Config(
            task_type=task_type, target_modules=self.target_modules, feedforward_modules=self.feedforward_modules
        )
