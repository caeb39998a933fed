"""The cheapest baseline: one trainable d x d linear map applied to the input embeddings of the frozen backbone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from transducer.backbone import freeze
from transducer.adaptation import MethodConfig
from transducer.methods.wrapper import BackboneWrapper


@dataclass
class LinearAdapterConfig(MethodConfig):
    """A ``d_model x d_model`` linear map (no bias) on the input embeddings, initialised to the identity so
    training starts from the backbone's own behaviour (589,824 parameters on CodeT5+ 220M)."""

    method_name: ClassVar[str] = "linear_adapter"

    def build(self, backbone: nn.Module, tokenizer: Any) -> LinearAdapterModel:
        return LinearAdapterModel(self, freeze(backbone), tokenizer)


class LinearAdapterModel(BackboneWrapper):
    """Maps the input embeddings through ``self.linear`` before the frozen backbone.

    Seq2seq: the encoder input embeddings (passed as ``inputs_embeds``; the decoder is untouched).
    Decoder-only: every input-embedding lookup, through a forward hook on the embedding table, so the tokens
    generated one by one are mapped just as the training targets were.
    """

    def __init__(self, config: LinearAdapterConfig, backbone: nn.Module, tokenizer: Any) -> None:
        super().__init__(config, backbone, tokenizer)
        embeddings = backbone.get_input_embeddings()
        dim = embeddings.embedding_dim
        self.linear = nn.Linear(dim, dim, bias=False, device=embeddings.weight.device, dtype=embeddings.weight.dtype)
        with torch.no_grad():
            self.linear.weight.copy_(torch.eye(dim))
        if not self.seq2seq:
            embeddings.register_forward_hook(self._map_embeddings)

    def _map_embeddings(self, module: nn.Module, inputs: Any, output: torch.Tensor) -> torch.Tensor:
        return self.linear(output)

    def _encoder_embeddings(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.linear(self.model.get_input_embeddings()(input_ids))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        graph: Any | None = None,
    ) -> Any:
        if not self.seq2seq:
            return super().forward(input_ids, attention_mask, labels)
        return self.model(inputs_embeds=self._encoder_embeddings(input_ids), attention_mask=attention_mask, labels=labels)

    @torch.no_grad()
    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        graph: Any | None = None,
        **generation_kwargs: Any,
    ) -> torch.Tensor:
        if not self.seq2seq:
            return super().generate(input_ids, attention_mask, **generation_kwargs)
        if self.pad_token_id is not None:
            generation_kwargs.setdefault("pad_token_id", self.pad_token_id)
        return self.model.generate(
            inputs_embeds=self._encoder_embeddings(input_ids), attention_mask=attention_mask, **generation_kwargs
        )
