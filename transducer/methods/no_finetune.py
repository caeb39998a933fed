"""Zero-shot baseline: the backbone as is, nothing trained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from transducer.backbone import freeze
from transducer.adaptation import MethodConfig
from transducer.methods.wrapper import BackboneWrapper


@dataclass
class NoFinetuneConfig(MethodConfig):
    """The frozen backbone without any adaptation (0 trainable parameters; the adapter file holds no weights)."""

    method_name: ClassVar[str] = "no_finetune"

    def build(self, backbone: nn.Module, tokenizer: Any) -> BackboneWrapper:
        return BackboneWrapper(self, freeze(backbone), tokenizer)
