"""Shared plumbing of the methods implemented by Hugging Face ``peft`` (LoRA, IA3, prompt and prefix tuning)."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

import torch
from peft import PeftConfig, TaskType, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from torch import nn

from transducer.backbone import is_seq2seq, uses_conv1d
from transducer.adaptation import MethodConfig
from transducer.methods.wrapper import BackboneWrapper


@dataclass
class PeftMethodConfig(MethodConfig):
    """A method whose trainable part ``peft`` injects into the frozen backbone."""

    @abstractmethod
    def peft_config(self, task_type: TaskType) -> PeftConfig:
        """The ``peft`` config for a backbone of ``task_type`` (seq2seq or causal LM)."""

    def build(self, backbone: nn.Module, tokenizer: Any) -> PeftAdaptedModel:
        task_type = TaskType.SEQ_2_SEQ_LM if is_seq2seq(backbone) else TaskType.CAUSAL_LM
        peft_config = self.peft_config(task_type)
        if hasattr(peft_config, "fan_in_fan_out"):
            # GPT-2-style backbones store their linear layers transposed (Conv1D); say so rather than let peft
            # correct the setting with a warning on every build
            peft_config.fan_in_fan_out = uses_conv1d(backbone)
        try:
            peft_model = get_peft_model(backbone, peft_config)
        except ValueError as error:
            raise ValueError(
                f"method {self.method_name!r} cannot be applied to a {backbone.config.model_type!r} backbone: "
                f"peft says: {error}. peft has no default target modules for some architectures; pass "
                "`target_modules` (the names of the linear layers to adapt) where the method has that option"
            ) from error
        return PeftAdaptedModel(self, peft_model, tokenizer)


class PeftAdaptedModel(BackboneWrapper):
    """Runs the ``PeftModel``; the adapter state is ``get_peft_model_state_dict`` (peft's own adapter weights)."""

    @property
    def backbone(self) -> nn.Module:  # type: ignore[override]
        return self.model.get_base_model()

    def adapter_state_dict(self) -> dict[str, torch.Tensor]:
        return get_peft_model_state_dict(self.model)

    def _copy_in(self, state_dict: dict[str, torch.Tensor]) -> None:
        set_peft_model_state_dict(self.model, state_dict)
