"""Prompt tuning (Lester et al., 2021) through ``peft``: trainable soft-prompt embeddings before the input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from peft import PromptTuningConfig, TaskType

from transducer.methods.peft_adapter import PeftMethodConfig


@dataclass
class PromptTuningMethodConfig(PeftMethodConfig):
    """``num_virtual_tokens`` randomly initialised soft-prompt vectors prepended to the (encoder) input."""

    method_name: ClassVar[str] = "prompt_tuning"

    num_virtual_tokens: int = 25

    def peft_config(self, task_type: TaskType) -> PromptTuningConfig:
        return PromptTuningConfig(task_type=task_type, num_virtual_tokens=self.num_virtual_tokens)
