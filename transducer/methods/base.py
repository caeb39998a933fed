"""The interface every adaptation method implements (the transducer and every baseline).

The training harness (``tasks``) only talks to this interface, so every method runs through the same loop,
data, generation settings and metrics.

Batch conventions (built by the data collator):
- seq2seq backbones: ``input_ids``/``attention_mask`` hold the source; ``labels`` the target, padded with -100.
- decoder-only backbones: for training, ``input_ids`` holds source + target and ``labels`` is -100 on the source
  (prompt) and padding positions; for generation, ``input_ids`` holds the left-padded source only.
- ``graph`` is a PyG ``Batch`` with one graph per sample (methods that do not use graphs ignore it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import torch
from torch import nn


class AdaptedModel(nn.Module, ABC):
    """A frozen or partly trainable backbone plus whatever a method trains."""

    #: whether the method consumes the ``graph`` batch (the data module skips graph extraction otherwise)
    uses_graph: bool = False

    backbone: nn.Module

    @abstractmethod
    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        graph: Any | None = None,
    ) -> Any:
        """Return the backbone's ``ModelOutput`` (``.loss`` set when ``labels`` is given)."""

    @abstractmethod
    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        graph: Any | None = None,
        **generation_kwargs: Any,
    ) -> torch.Tensor:
        """Generate from the source only; returns the generated token ids (for decoder-only backbones, only
        the continuation, not the prompt)."""

    @abstractmethod
    def save_pretrained(self, directory: str | Path) -> None:
        """Write only the trained weights (safetensors) and the method's config to ``directory``."""

    def trainable_parameters(self) -> tuple[int, int]:
        """``(trainable, total)`` parameter counts."""
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        total = sum(p.numel() for p in self.parameters())
        return trainable, total

    def print_trainable_parameters(self) -> None:
        trainable, total = self.trainable_parameters()
        print(f"trainable params: {trainable:,d} || all params: {total:,d} || trainable%: {100 * trainable / total:.4f}")
