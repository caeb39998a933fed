"""LoRA (Hu et al., 2022) through ``peft``: trainable low-rank updates of chosen linear layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from peft import LoraConfig, TaskType

from transducer.methods.peft_adapter import PeftMethodConfig


@dataclass
class LoraMethodConfig(PeftMethodConfig):
    """LoRA hyperparameters; ``target_modules=None`` uses peft's default for the architecture (T5: q, v;
    GPT-2: c_attn; Llama: q_proj, v_proj)."""

    method_name: ClassVar[str] = "lora"

    r: int = 8
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    target_modules: list[str] | None = None

    def peft_config(self, task_type: TaskType) -> LoraConfig:
        return LoraConfig(
            task_type=task_type,
            r=self.r,
            lora_alpha=self.lora_alpha,
            lora_dropout=self.lora_dropout,
            target_modules=self.target_modules,
        )
