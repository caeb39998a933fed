"""Prefix tuning (Li & Liang, 2021) through ``peft``: trainable key/value prefixes in every attention layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from peft import PrefixTuningConfig, TaskType
from torch import nn

from transducer.graph_prefix import generate_with_prefix
from transducer.methods.peft_adapter import PeftAdaptedModel, PeftMethodConfig


@dataclass
class PrefixTuningMethodConfig(PeftMethodConfig):
    """``num_virtual_tokens`` trainable key/value vectors per layer, fed to the backbone as its key/value cache
    (the backbone must accept one)."""

    method_name: ClassVar[str] = "prefix_tuning"

    num_virtual_tokens: int = 10

    def peft_config(self, task_type: TaskType) -> PrefixTuningConfig:
        return PrefixTuningConfig(task_type=task_type, num_virtual_tokens=self.num_virtual_tokens)

    def build(self, backbone: nn.Module, tokenizer: Any) -> PrefixTunedModel:
        adapted = super().build(backbone, tokenizer)
        return PrefixTunedModel(self, adapted.model, tokenizer)


class PrefixTunedModel(PeftAdaptedModel):
    """Generates with the prefix itself: with transformers 5, ``PeftModel.generate`` of a seq2seq model runs
    without the prefix (its output equals the frozen model's), so the prefix goes to the backbone's ``generate``
    as a cache, repeated for every beam (:func:`~transducer.graph_prefix.generate_with_prefix`)."""

    def generate(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, graph: Any | None = None, **generation_kwargs: Any
    ) -> torch.Tensor:
        if self.pad_token_id is not None:
            generation_kwargs.setdefault("pad_token_id", self.pad_token_id)
        batch = input_ids.shape[0]
        return generate_with_prefix(
            self.backbone, input_ids, attention_mask,
            lambda copies: self.model.get_prompt(batch_size=batch * copies),
            self.config.num_virtual_tokens, self.pad_token_id or 0, generation_kwargs,
        )
