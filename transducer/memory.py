"""Memory levers for frozen backbones, available to every method.

A frozen weight needs neither fp32 precision nor an optimizer state, and a frozen model need not keep every
activation for the backward pass:

- ``frozen_dtype`` (``bfloat16`` or ``float16``): store the parameters that do not train in that dtype, while
  trainable parameters (and so their AdamW state) stay fp32. The forward pass must then run under autocast
  (``trainer.precision: bf16-mixed``), which casts each matrix product's inputs to one dtype.
- ``gradient_checkpointing``: the backbone recomputes its layers' activations during the backward pass instead of
  storing them (Hugging Face's ``gradient_checkpointing_enable``, non-reentrant, so it works when only the inputs
  or adapters need gradients).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

#: the dtypes a backbone's weights may be loaded or stored in, by name
WEIGHT_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass
class MemoryLevers:
    """Which levers to apply (YAML: under ``model.backbone``, e.g. ``frozen_dtype: bfloat16``)."""

    frozen_dtype: str | None = None
    gradient_checkpointing: bool = False

    def __post_init__(self) -> None:
        if self.frozen_dtype is not None and self.frozen_dtype not in ("bfloat16", "float16"):
            raise ValueError(f"frozen_dtype must be 'bfloat16' or 'float16' (or unset), got {self.frozen_dtype!r}")

    @property
    def active(self) -> bool:
        return self.frozen_dtype is not None or self.gradient_checkpointing


def apply_memory_levers(model: nn.Module, backbone: nn.Module, levers: MemoryLevers) -> int:
    """Apply ``levers`` to an adapted ``model`` (built on ``backbone``); returns how many frozen parameter values
    were cast. Trainable parameters are never cast."""
    cast = 0
    if levers.frozen_dtype is not None:
        dtype = WEIGHT_DTYPES[levers.frozen_dtype]
        with torch.no_grad():
            for parameter in model.parameters():
                if not parameter.requires_grad and parameter.is_floating_point():
                    parameter.data = parameter.data.to(dtype)
                    cast += parameter.numel()
    if levers.gradient_checkpointing:
        if not getattr(backbone, "supports_gradient_checkpointing", False):
            raise ValueError(f"{type(backbone).__name__} does not support gradient checkpointing "
                             "(transformers' supports_gradient_checkpointing is False)")
        if hasattr(backbone, "activation_checkpointing_enable"):  # transformers >= 5.x's name for it
            backbone.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            backbone.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        backbone.config.use_cache = False  # a cache is incompatible with recomputation while training
    return cast


def check_precision_for_levers(levers: MemoryLevers, precision: str | None) -> None:
    """Frozen weights in bf16/fp16 need autocast: refuse a full-precision run with a message that says so."""
    if levers.frozen_dtype is not None and not (precision and "mixed" in str(precision)):
        raise ValueError(f"backbone.frozen_dtype {levers.frozen_dtype!r} needs mixed precision (set "
                         f"trainer.precision: bf16-mixed); got precision {precision!r}")
