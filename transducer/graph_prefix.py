"""Graph prefixes: the ``prefix`` injection mode, as Pass-Tuning (EMNLP'23) feeds a GNN's view of code to a frozen LM.

``P`` learned queries attend over a graph's node features; each result goes through a low-rank projection
(``rank``-dim code, tanh, as in prefix tuning's reparameterisation) to one key and one value vector per head in
every attention layer. The frozen model receives them the standard Hugging Face way, as a key/value cache of ``P``
positions (what peft's prefix tuning does), so every token attends to the graph in every layer while the input
embeddings stay untouched.

Which attention stacks receive the prefix: decoder-only models, every self-attention layer; encoder-decoder models,
every decoder self-attention layer (as in peft). Hugging Face encoders take no cache (T5's encoder stack drops it),
so the encoder and the decoder's cross-attention see no prefix.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import Cache, DynamicCache, EncoderDecoderCache

from transducer.fusion import GraphQueries
from transducer.gve import GraphFeatures


@dataclass(frozen=True)
class KVLayout:
    """What one prefix position holds per layer of the attention that receives it: ``num_heads`` key (and value)
    vectors of ``head_dim`` in each of ``num_layers`` layers."""

    num_layers: int
    num_heads: int
    head_dim: int

    @classmethod
    def of(cls, config: Any) -> KVLayout:
        """The layout of a Hugging Face model config's decoder self-attention (key/value heads, so grouped-query
        attention gets its fewer heads)."""
        text = config.get_text_config(decoder=True)
        try:
            layers = getattr(text, "num_decoder_layers", None) or text.num_hidden_layers
            heads = getattr(text, "num_key_value_heads", None) or text.num_attention_heads
            head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
        except AttributeError as error:
            raise ValueError(f"cannot tell the key/value cache layout of a {config.model_type!r} backbone from its "
                             f"config ({error}); the prefix injection needs layers, key/value heads and head size"
                             ) from error
        return cls(layers, heads, head_dim)


class GraphPrefix(GraphQueries):
    """``GraphFeatures`` (nodes (B, N, G), mask (B, N)) -> key/value prefixes (layers, 2, B, heads, P, head_dim).

    Parameters: ``P·A`` queries, a LayerNorm (``2·G``), key/value projections (``2·(G + 1)·A``) and the sink key
    (``A``) for the attention; ``(A + 1)·rank`` down and ``(rank + 1)·layers·2·heads·head_dim`` up for the
    projection, which dominates (rank 8 on CodeT5+ 220M's 12 decoder layers of 768: 165,888).

    Args:
        layout: the backbone's :class:`KVLayout`.
        graph_dim: G, the GVE's output size.
        num_tokens: P prefix positions per graph.
        attention_dim / num_heads: the width (A) and heads of the attention over the nodes.
        rank: width of the code between the attention and the per-layer keys and values.
        dropout: attention dropout.
    """

    def __init__(self, layout: KVLayout, graph_dim: int, num_tokens: int = 8, attention_dim: int = 128,
                 num_heads: int = 4, rank: int = 8, dropout: float = 0.1) -> None:
        super().__init__(graph_dim, num_tokens, attention_dim, num_heads, dropout)
        self.layout = layout
        self.down = nn.Linear(attention_dim, rank)
        self.up = nn.Linear(rank, layout.num_layers * 2 * layout.num_heads * layout.head_dim)

    def forward(self, graph: GraphFeatures) -> torch.Tensor:
        """(layers, 2, B, heads, P, head_dim): per layer the keys ([:, 0]) and values ([:, 1]) of P positions."""
        attended = self.attend(graph)  # (B, P, A)
        batch, positions = attended.shape[:2]
        states = self.up(torch.tanh(self.down(attended)))
        layout = self.layout
        states = states.view(batch, positions, layout.num_layers, 2, layout.num_heads, layout.head_dim)
        return states.permute(2, 3, 0, 4, 1, 5)


def prefix_cache(prefix: torch.Tensor, encoder_decoder: bool) -> Cache:
    """A fresh cache holding ``prefix`` (layers, 2, B, heads, P, head_dim): a ``DynamicCache``, or for
    encoder-decoder models an ``EncoderDecoderCache`` with it as the decoder self-attention part and an empty
    cross-attention part (filled from the encoder output on the first decoder step)."""
    cache = DynamicCache()
    for layer, (keys, values) in enumerate(prefix):
        cache.update(keys, values, layer)
    return EncoderDecoderCache(cache, DynamicCache()) if encoder_decoder else cache


def generate_with_prefix(
    backbone: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    make_cache: Callable[[int], Cache],
    num_prefix_tokens: int,
    pad_token_id: int,
    generation_kwargs: dict[str, Any],
) -> torch.Tensor:
    """``backbone.generate`` with a key/value prefix of ``num_prefix_tokens`` positions: the decoder's ids of an
    encoder-decoder model (as ``generate`` returns them), the new tokens after the prompt of a decoder-only one.

    ``make_cache(copies)`` gives a fresh cache with each sample's prefix repeated ``copies`` times in a row:
    ``generate`` expands the inputs for beams and returned sequences, not a cache it is given. Decoder-only models
    get P placeholder ids (never embedded) and P ones in the mask in front of the prompt, so that ids, mask and
    positions line up with the cache, as in training.
    """
    config = generation_kwargs.get("generation_config", backbone.generation_config)
    copies = max(generation_kwargs.get("num_beams", config.num_beams) or 1,
                 generation_kwargs.get("num_return_sequences", config.num_return_sequences) or 1)
    generation_kwargs = {**generation_kwargs, cache_argument(backbone): make_cache(copies)}
    if backbone.config.is_encoder_decoder:
        return backbone.generate(input_ids=input_ids, attention_mask=attention_mask, **generation_kwargs)
    filler = input_ids.new_full((input_ids.shape[0], num_prefix_tokens), pad_token_id)
    input_ids = torch.cat([filler, input_ids], dim=1)
    attention_mask = torch.cat([attention_mask.new_ones(attention_mask.shape[0], num_prefix_tokens), attention_mask], dim=1)
    output = backbone.generate(input_ids=input_ids, attention_mask=attention_mask, **generation_kwargs)
    return output[:, input_ids.shape[1] :]


def refuse_gradient_checkpointing(backbone: nn.Module) -> None:
    """Raise if ``backbone`` would run checkpointed layers now: transformers then drops their key/value cache (a
    recomputed layer would write to it twice), and with it the prefix."""
    checkpointing = any(getattr(module, "gradient_checkpointing", False) for module in backbone.modules())
    if checkpointing and backbone.training and torch.is_grad_enabled():
        raise ValueError("the prefix injection cannot train with gradient checkpointing: transformers drops the "
                         "key/value cache (the prefix) in checkpointed layers; turn "
                         "backbone.gradient_checkpointing off")


def cache_argument(backbone: nn.Module) -> str:
    """The keyword under which ``backbone.forward`` takes a key/value cache: ``cache`` (recent transformers 5
    releases renamed it) or ``past_key_values``."""
    return "cache" if "cache" in inspect.signature(backbone.forward).parameters else "past_key_values"


def prefix_dtype(weight_dtype: torch.dtype, device: torch.device) -> torch.dtype:
    """The dtype of the backbone's keys and values: the autocast dtype under autocast, else its weights' dtype."""
    if torch.is_autocast_enabled(device.type):
        return torch.get_autocast_dtype(device.type)
    return weight_dtype
