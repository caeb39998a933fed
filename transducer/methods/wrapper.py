"""A Hugging Face backbone (possibly with some parameters unfrozen) behind the :class:`AdaptedModel` interface.

Every baseline except the PEFT ones is this wrapper plus a choice of trainable parameters; the PEFT methods
override only which module runs and how the adapter state is read and written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from transducer.backbone import is_seq2seq, remember_loaded_weights
from transducer.adaptation import AdaptedModel, MethodConfig, check_adapter_keys, save_adapter


class BackboneWrapper(AdaptedModel):
    """Runs ``self.model`` (the backbone) on a batch; trains whatever parameters have ``requires_grad``.

    The adapter state is the trainable parameters by name (tied weights appear once), so saving writes only
    what the method trains.
    """

    def __init__(self, config: MethodConfig, backbone: nn.Module, tokenizer: Any) -> None:
        super().__init__()
        remember_loaded_weights(backbone)  # before any training: adapters name the weights the method started from
        self.config = config
        self.model = backbone
        self.seq2seq = is_seq2seq(backbone)
        self.pad_token_id = getattr(tokenizer, "pad_token_id", None)

    @property
    def backbone(self) -> nn.Module:  # type: ignore[override]
        return self.model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        graph: Any | None = None,
    ) -> Any:
        return self.model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)

    @torch.no_grad()
    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        graph: Any | None = None,
        **generation_kwargs: Any,
    ) -> torch.Tensor:
        if self.pad_token_id is not None:
            generation_kwargs.setdefault("pad_token_id", self.pad_token_id)
        output = self.model.generate(input_ids=input_ids, attention_mask=attention_mask, **generation_kwargs)
        return self.continuation(output, input_ids)

    def continuation(self, output: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
        """Drop the prompt that decoder-only ``generate`` returns in front of the new tokens."""
        return output if self.seq2seq else output[:, input_ids.shape[1] :]

    def adapter_state_dict(self) -> dict[str, torch.Tensor]:
        """The trained weights that :meth:`save_pretrained` writes."""
        return {name: p.detach() for name, p in self.named_parameters() if p.requires_grad}

    def load_adapter_state_dict(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load saved trained weights; the keys must be exactly those of :meth:`adapter_state_dict`."""
        check_adapter_keys(self.adapter_state_dict(), state_dict, self.config.method_name)
        self._copy_in(state_dict)

    def _copy_in(self, state_dict: dict[str, torch.Tensor]) -> None:
        parameters = dict(self.named_parameters())
        with torch.no_grad():
            for name, tensor in state_dict.items():
                parameters[name].copy_(tensor)

    def save_pretrained(self, directory: str | Path) -> None:
        save_adapter(directory, self.config, self.backbone, self.adapter_state_dict())
