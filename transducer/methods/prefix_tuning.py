"""Prefix tuning (Li & Liang, 2021) through ``peft``: trainable key/value prefixes in every attention layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from peft import PrefixTuningConfig, TaskType

from transducer.methods.peft_adapter import PeftMethodConfig


@dataclass
class PrefixTuningMethodConfig(PeftMethodConfig):
    """``num_virtual_tokens`` trainable key/value vectors per layer, fed to the backbone as ``past_key_values``
    (the backbone must accept a key/value cache)."""

    method_name: ClassVar[str] = "prefix_tuning"

    num_virtual_tokens: int = 10

    def peft_config(self, task_type: TaskType) -> PrefixTuningConfig:
        return PrefixTuningConfig(task_type=task_type, num_virtual_tokens=self.num_virtual_tokens)
