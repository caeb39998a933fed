"""The Transducer's variants in the method registry: its no-graph ablation and its prefix injection mode (the
fusion mode is the preset ``transducer_fusion``, :data:`transducer.methods.PRESETS`).

``TransducerConfig``/``TransducerModel`` live in :mod:`transducer.config`/:mod:`transducer.model`; this module
adds what the registry needs on top of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from transducer.config import TransducerConfig


@dataclass
class TransducerNoGraphConfig(TransducerConfig):
    """Ablation "Transducer without graph": the fusion layer trained on zero graph features (``graph_mode="zero"``),
    isolating what the code property graph contributes (the soft-token and prefix modes need a graph, so this is
    the graph-free twin of every injection mode)."""

    method_name: ClassVar[str] = "transducer_no_graph"

    graph_mode: str = "zero"
    injection: str = "fusion"

    def __post_init__(self) -> None:
        if self.graph_mode != "zero":
            raise ValueError(
                f"transducer_no_graph ignores the graph (graph_mode='zero'); got graph_mode={self.graph_mode!r}: "
                "use method 'transducer' for the other graph modes"
            )
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
                             "method 'transducer' for the soft-token and fusion modes")
        super().__post_init__()
