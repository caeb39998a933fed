"""LoRA (Hu et al., 2022) through ``peft``: trainable low-rank updates of chosen linear layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from peft import LoraConfig, TaskType
from torch import nn

from transducer.methods.peft_adapter import PeftAdaptedModel, PeftMethodConfig


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


@dataclass
class QLoraMethodConfig(LoraMethodConfig):
    """QLoRA (Dettmers et al., 2023; Weyssow et al. 2023's memory-bound baseline): LoRA on a quantized frozen
    backbone (``backbone.quantization``: ``nf4`` on CUDA as in the paper, ``int8`` on CPU or CUDA)."""

    method_name: ClassVar[str] = "qlora"

    def build(self, backbone: nn.Module, tokenizer: Any) -> PeftAdaptedModel:
        from transducer.quantization import quantization_of

        if quantization_of(backbone) is None:
            raise ValueError("method 'qlora' needs a quantized backbone: set backbone.quantization (nf4 on CUDA, int8 "
                             "on CPU or CUDA), or use 'lora' for full-precision weights")
        return super().build(backbone, tokenizer)
