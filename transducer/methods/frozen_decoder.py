"""CodeT5+'s frozen-decoder recipe: train the encoder and the decoder's cross-attention, keep the deep decoder
(self-attention, feed-forward, LM head) and the token embeddings frozen. Encoder-decoder backbones only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from transducer.backbone import freeze, is_seq2seq
from transducer.adaptation import MethodConfig
from transducer.methods.layer_freezing import STACKS, optional_submodule
from transducer.methods.wrapper import BackboneWrapper

#: model_type -> (path of the decoder block list, names of the cross-attention submodules inside a block)
CROSS_ATTENTION: dict[str, tuple[str, tuple[str, ...]]] = {
    **{model_type: ("decoder.block", ("layer.1",)) for model_type in ("t5", "mt5", "umt5")},
    **{model_type: ("model.decoder.layers", ("encoder_attn", "encoder_attn_layer_norm"))
       for model_type in ("bart", "plbart", "mbart")},
}


@dataclass
class FrozenDecoderConfig(MethodConfig):
    """Train every encoder block (and the encoder's final norm) plus each decoder block's cross-attention;
    ``train_embeddings`` also trains the token embeddings (shared with the decoder in T5)."""

    method_name: ClassVar[str] = "frozen_decoder"

    train_embeddings: bool = False

    def build(self, backbone: nn.Module, tokenizer: Any) -> BackboneWrapper:
        model_type = backbone.config.model_type
        if not is_seq2seq(backbone):
            raise ValueError(f"frozen_decoder needs an encoder-decoder backbone; {model_type!r} is decoder-only "
                             "(it has no encoder or cross-attention to train)")
        if model_type not in CROSS_ATTENTION:
            raise ValueError(f"frozen_decoder does not know where the cross-attention of a {model_type!r} backbone is; "
                             f"supported model types: {sorted(CROSS_ATTENTION)} (add it to "
                             "transducer.methods.frozen_decoder.CROSS_ATTENTION)")
        freeze(backbone)
        blocks_path, norm_path = STACKS[model_type]["encoder"]
        backbone.get_submodule(blocks_path).requires_grad_(True)
        norm = optional_submodule(backbone, norm_path)
        if norm is not None:
            norm.requires_grad_(True)
        decoder_blocks, parts = CROSS_ATTENTION[model_type]
        for block in backbone.get_submodule(decoder_blocks):
            for part in parts:
                block.get_submodule(part).requires_grad_(True)
        if self.train_embeddings:
            backbone.get_input_embeddings().requires_grad_(True)
        return BackboneWrapper(self, backbone, tokenizer)
