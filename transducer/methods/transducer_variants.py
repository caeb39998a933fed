"""The Transducer in the method registry: its no-graph ablation and loading its saved weights.

``TransducerConfig``/``TransducerModel`` live in :mod:`transducer.config`/:mod:`transducer.model`; this module
adds what the registry needs on top of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from transducer.config import TransducerConfig
from transducer.model import TransducerModel


@dataclass
class TransducerNoGraphConfig(TransducerConfig):
    """Ablation "Transducer without graph": the same fusion layer trained on zero graph features
    (``graph_mode="zero"``), isolating what the code property graph contributes."""

    method_name: ClassVar[str] = "transducer_no_graph"

    graph_mode: str = "zero"

    def __post_init__(self) -> None:
        if self.graph_mode != "zero":
            raise ValueError(
                f"transducer_no_graph ignores the graph (graph_mode='zero'); got graph_mode={self.graph_mode!r}: "
                "use method 'transducer' for the other graph modes"
            )
        super().__post_init__()


@dataclass
class TransducerSoftTokensConfig(TransducerConfig):
    """The transducer with the graph as ``num_soft_tokens`` soft tokens in front of the input (G-Retriever/GALLa
    style) instead of a per-token fusion of the input embeddings."""

    method_name: ClassVar[str] = "transducer_soft_tokens"

    injection: str = "soft_tokens"

    def __post_init__(self) -> None:
        if self.injection != "soft_tokens":
            raise ValueError(f"transducer_soft_tokens injects soft tokens; got injection={self.injection!r}: use method "
                             "'transducer' for the fusion mode")
        super().__post_init__()


@dataclass
class TransducerPrefixConfig(TransducerConfig):
    """The transducer with the graph as ``num_prefix_tokens`` key/value prefixes in every decoder self-attention
    layer (Pass-Tuning style, :mod:`transducer.graph_prefix`) instead of a per-token fusion of the input embeddings."""

    method_name: ClassVar[str] = "transducer_prefix"

    injection: str = "prefix"

    def __post_init__(self) -> None:
        if self.injection != "prefix":
            raise ValueError(f"transducer_prefix injects key/value prefixes; got injection={self.injection!r}: use "
                             "method 'transducer' for the fusion mode")
        super().__post_init__()


def load_transducer_state(model: TransducerModel, state_dict: dict[str, torch.Tensor]) -> None:
    """Load what ``TransducerModel.save_pretrained`` wrote (the Transducer's trainable weights) into ``model``."""
    expected = model.transducer.trainable_state_dict().keys()
    missing, unexpected = sorted(expected - state_dict.keys()), sorted(state_dict.keys() - expected)
    if missing or unexpected:
        raise ValueError(
            f"adapter weights do not match method {model.config.method_name!r}: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
    model.transducer.load_state_dict(state_dict, strict=False)
