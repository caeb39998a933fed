"""Full fine-tuning: every backbone parameter is trained (the upper bound on cost)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from transducer.adaptation import MethodConfig
from transducer.methods.wrapper import BackboneWrapper


@dataclass
class FullFinetuneConfig(MethodConfig):
    """Train all backbone parameters; the adapter file holds the whole model (tied weights once)."""

    method_name: ClassVar[str] = "full_finetune"

    def build(self, backbone: nn.Module, tokenizer: Any) -> BackboneWrapper:
        backbone.requires_grad_(True)
        return BackboneWrapper(self, backbone, tokenizer)
