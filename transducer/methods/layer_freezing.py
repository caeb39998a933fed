"""Layer freezing: freeze the bottom of each transformer stack and train the rest.

Two ways to say how much: ``top_k`` trains the top k blocks of each stack; ``frozen_bottom_layers`` is Telly's
(Shi et al., ISSTA 2023) parameter K, the number of blocks frozen from the bottom of each stack (every block
above them trains). Seq2seq backbones have an encoder and a decoder stack, decoder-only ones a single (decoder)
stack. Token embeddings (Telly's layer 0) are frozen unless ``train_embeddings``; the LM head stays frozen (tied
to the embeddings in T5 and GPT-2); the stacks' final layer norms train when ``train_final_layer_norm`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from transducer.backbone import freeze, is_seq2seq
from transducer.adaptation import MethodConfig
from transducer.methods.wrapper import BackboneWrapper

#: model_type -> stack name -> (path of the block list, path of the stack's final layer norm)
STACKS: dict[str, dict[str, tuple[str, str]]] = {
    **{
        model_type: {
            "encoder": ("encoder.block", "encoder.final_layer_norm"),
            "decoder": ("decoder.block", "decoder.final_layer_norm"),
        }
        for model_type in ("t5", "mt5", "umt5")
    },
    **{
        model_type: {
            "encoder": ("model.encoder.layers", "model.encoder.layer_norm"),
            "decoder": ("model.decoder.layers", "model.decoder.layer_norm"),
        }
        for model_type in ("bart", "plbart", "mbart")
    },
    **{model_type: {"decoder": ("transformer.h", "transformer.ln_f")} for model_type in ("gpt2", "gpt_bigcode", "codegen")},
    **{model_type: {"decoder": ("model.layers", "model.norm")} for model_type in ("llama", "mistral", "qwen2", "gemma")},
    "gpt_neox": {"decoder": ("gpt_neox.layers", "gpt_neox.final_layer_norm")},
}


@dataclass
class LayerFreezingConfig(MethodConfig):
    """Train the top ``top_k`` blocks of every stack (encoder and decoder of a seq2seq backbone, the only stack
    of a decoder-only one); ``top_k_encoder``/``top_k_decoder`` override ``top_k`` for one stack. With
    ``frozen_bottom_layers`` = K (Telly), the bottom K blocks of every stack are frozen and all others train
    (``top_k`` is then ignored)."""

    method_name: ClassVar[str] = "layer_freezing"

    top_k: int = 2
    top_k_encoder: int | None = None
    top_k_decoder: int | None = None
    frozen_bottom_layers: int | None = None
    train_embeddings: bool = False
    train_final_layer_norm: bool = True

    def build(self, backbone: nn.Module, tokenizer: Any) -> BackboneWrapper:
        model_type = backbone.config.model_type
        if model_type not in STACKS:
            raise ValueError(
                f"layer_freezing does not know where the transformer blocks of a {model_type!r} backbone are; "
                f"supported model types: {sorted(STACKS)} (add the block paths to "
                "transducer.methods.layer_freezing.STACKS)"
            )
        freeze(backbone)
        counts = {"encoder": self.top_k_encoder, "decoder": self.top_k_decoder}
        stacks = STACKS[model_type]
        if not is_seq2seq(backbone) and self.top_k_encoder is not None:
            raise ValueError("`top_k_encoder` is set but the backbone is decoder-only (it has no encoder stack)")
        for stack, (blocks_path, norm_path) in stacks.items():
            blocks = backbone.get_submodule(blocks_path)
            if self.frozen_bottom_layers is not None:
                if not 0 <= self.frozen_bottom_layers <= len(blocks):
                    raise ValueError(f"cannot freeze the bottom {self.frozen_bottom_layers} {stack} blocks: the "
                                     f"{model_type!r} backbone has {len(blocks)}")
                counts[stack] = len(blocks) - self.frozen_bottom_layers
            k = self.top_k if counts[stack] is None else counts[stack]
            if not 0 <= k <= len(blocks):
                raise ValueError(f"cannot train the top {k} {stack} blocks: the {model_type!r} backbone has {len(blocks)}")
            for block in list(blocks)[len(blocks) - k :] if k else []:
                block.requires_grad_(True)
            norm = optional_submodule(backbone, norm_path)
            if self.train_final_layer_norm and k and norm is not None:
                norm.requires_grad_(True)
        if self.train_embeddings:
            backbone.get_input_embeddings().requires_grad_(True)
        if not any(p.requires_grad for p in backbone.parameters()):
            raise ValueError("layer_freezing with k=0 for every stack trains nothing; use method 'no_finetune' instead")
        return BackboneWrapper(self, backbone, tokenizer)


def optional_submodule(module: nn.Module, path: str) -> nn.Module | None:
    """``module.get_submodule(path)``, or ``None`` where the architecture has no such module (or it is ``None``)."""
    try:
        return module.get_submodule(path)
    except AttributeError:
        return None
