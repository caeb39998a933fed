"""Hyperparameters of the Transducer (node vectorizer, Graph Vectorization Engine, fusion layer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from cpg.graph import EdgeType
from transducer.adaptation import MethodConfig
from transducer.fusion import check_fusion_options, check_positive_bound
from transducer.gve import check_gve_options
from transducer.model import TransducerModel
from transducer.vectorizer import BACKBONE_NODE_ENCODER, ENCODER_POOLINGS

#: where the graph enters the frozen model (see ``TransducerConfig.injection``)
INJECTIONS = ("fusion", "soft_tokens", "prefix")
#: the paper's size (:meth:`TransducerConfig.small`, the ``transducer_small`` preset)
SMALL = {"injection": "fusion", "bottleneck_dim": 8, "num_layers": 1, "gnn_heads": 1, "graph_dim": 8, "attention_dim": 8,
         "attention_heads": 1}

NODE_KINDS = ("fixed", "learned", "none")


@dataclass
class TransducerConfig(MethodConfig):
    """Transducer hyperparameters. The defaults suit CodeT5+ 220M; :meth:`small` is a preset at the paper's size.
    The hidden size is read from the backbone. The default injection, ``soft_tokens``, is the design with the
    lowest dev loss of the four the quality comparison tried (``fusion``, ``soft_tokens``, ``prefix``, ``fusion``
    with token-node alignment; BENCHMARKS.md §7 v2), the rule fixed before their results.

    Node vectorizer:
        node_encoder: ``"backbone"`` (mean of the frozen backbone's input embeddings of the node's tokens) or a
            Hugging Face encoder name/folder (run frozen on the node tokens, pooled by ``node_pooling``).
        node_pooling: ``"mean"`` or ``"first"`` token (HF encoder only; the backbone source averages).
        node_kind: ``"fixed"`` adds the frozen embedding of the node's kind name; ``"learned"`` adds a learned
            embedding (``kind_vocab_size`` hashed buckets, in the bottleneck space); ``"none"`` uses text only.
        max_node_tokens / max_kind_tokens: tokens kept per node text / kind name.
    Graph Vectorization Engine:
        bottleneck_dim: width of message passing (node vectors are projected down to it).
        gnn_type: ``gatv2`` | ``gcn`` | ``gin`` | ``sage`` | ``rgcn``; num_layers: message-passing layers;
        gnn_heads: GATv2 heads (divide ``bottleneck_dim``).
        use_edge_types: messages depend on the edge type (not available for ``sage``).
        edge_types: CPG edge types used (names of :class:`~cpg.graph.EdgeType`, all by default: AST, CFG, DDG,
            CDG, CALL, ARGUMENT); other edges are dropped.
        cfg_labels: with ``use_edge_types``, each CFG label (``true``, ``false``, ``back``, ``break``...) is an
            edge type of its own for the GNN.
        bidirectional_edges: also pass messages backwards along each edge (as separate edge types).
        pooling: ``mean`` | ``max`` | ``sum`` per-graph pooling.
        graph_dim: size of the graph features handed to the fusion layer.
        graph_mode: ``"gnn"``; ablations ``"no_gnn"`` (skip message passing) and ``"zero"`` (ignore the graph,
            the "transducer without graph" baseline).
    Fusion:
        injection: where the graph enters the frozen model: ``"fusion"`` (a per-token cross-attention update of the
            input embeddings), ``"soft_tokens"`` (``num_soft_tokens`` graph tokens in front of the input, as in
            G-Retriever and GALLa; :mod:`transducer.soft_tokens`) or ``"prefix"`` (``num_prefix_tokens`` key/value
            positions in every decoder self-attention layer, as in Pass-Tuning; :mod:`transducer.graph_prefix`).
        num_soft_tokens: K graph tokens per sample in the ``soft_tokens`` mode.
        num_prefix_tokens / prefix_rank: P prefix positions per sample in the ``prefix`` mode, and the width of the
            low-rank code they are projected from into every layer's keys and values.
        fusion_key_source: ``"nodes"`` (attend over every node) or ``"pooled"`` (over the pooled graph vector).
        token_node_alignment: ``fusion`` mode: each source token attends only to the nodes whose source span
            contains it (its own node and those around it: expression, statement, block, method) instead of every
            node, so it is fused with its own node's neighbourhood (the GNN has mixed the neighbours in). Needs a
            fast tokenizer (character offsets) and a seq2seq backbone.
        attention_dim / attention_heads: width and heads of the low-rank cross-attention.
        update_bound: ``fusion`` mode: each token's update stays below this fraction of the token embedding's norm
            (a smooth cap), so the frozen encoder keeps seeing inputs like its pretraining's; ``None``: unbounded
            (the transducer before v2, whose trained updates reached 2x the embeddings' norm).
        soft_token_bound: ``soft_tokens`` mode: each soft token's norm stays below this many times the mean norm
            of the backbone's input embeddings; ``None``: unbounded.
        dropout: dropout in message passing and on the attention weights.
    Backbone:
        backbone_lora_r: also train LoRA of this rank in the backbone (peft's default layers for its architecture,
            e.g. T5's q and v; alpha 4r, dropout 0.1), together with the transducer: "the graph on top of LoRA".
            0 (default): the backbone stays wholly frozen.
    """

    method_name: ClassVar[str] = "transducer"

    node_encoder: str = BACKBONE_NODE_ENCODER
    node_pooling: str = "mean"
    node_kind: str = "fixed"
    kind_vocab_size: int = 256
    max_node_tokens: int = 16
    max_kind_tokens: int = 8
    bottleneck_dim: int = 64
    gnn_type: str = "gatv2"
    num_layers: int = 2
    gnn_heads: int = 4
    use_edge_types: bool = True
    edge_types: tuple[str, ...] = tuple(t.name for t in EdgeType)
    cfg_labels: bool = True
    bidirectional_edges: bool = True
    pooling: str = "mean"
    graph_dim: int = 128
    graph_mode: str = "gnn"
    injection: str = "soft_tokens"
    num_soft_tokens: int = 8
    num_prefix_tokens: int = 8
    prefix_rank: int = 8
    fusion_key_source: str = "nodes"
    token_node_alignment: bool = False
    attention_dim: int = 128
    attention_heads: int = 4
    update_bound: float | None = 0.25
    soft_token_bound: float | None = 2.0
    dropout: float = 0.1
    backbone_lora_r: int = 0

    def __post_init__(self) -> None:
        self.edge_types = tuple(self.edge_types)
        choices = {"node_pooling": ENCODER_POOLINGS, "node_kind": NODE_KINDS, "injection": INJECTIONS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"TransducerConfig.{name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name in ("kind_vocab_size", "max_node_tokens", "max_kind_tokens", "bottleneck_dim", "gnn_heads",
                     "graph_dim", "attention_dim", "attention_heads", "num_soft_tokens",
                     "num_prefix_tokens", "prefix_rank"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"TransducerConfig.{name} must be a positive integer, got {getattr(self, name)!r}")
        field = {name: f"TransducerConfig.{name}" for name in ("gnn_type", "use_edge_types", "pooling", "graph_mode",
                                                                "update_bound")}
        check_gve_options(self.gnn_type, self.use_edge_types, self.gnn_heads, self.bottleneck_dim, self.pooling,
                          self.graph_mode, names={**field, "heads": "TransducerConfig.gnn_heads"})
        check_fusion_options(self.attention_dim, self.attention_heads, self.fusion_key_source, self.update_bound,
                             names={**field, "key_source": "TransducerConfig.fusion_key_source",
                                    "num_heads": "TransducerConfig.attention_heads"})
        check_positive_bound(self.soft_token_bound, "TransducerConfig.soft_token_bound")
        if not isinstance(self.num_layers, int) or self.num_layers < 0:
            raise ValueError(f"TransducerConfig.num_layers must be an integer >= 0, got {self.num_layers!r}")
        if not isinstance(self.backbone_lora_r, int) or self.backbone_lora_r < 0:
            raise ValueError(f"TransducerConfig.backbone_lora_r must be an integer >= 0, got {self.backbone_lora_r!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"TransducerConfig.dropout must be in [0, 1), got {self.dropout!r}")
        unknown = [t for t in self.edge_types if t not in EdgeType.__members__]
        if unknown or not self.edge_types:
            raise ValueError(
                f"TransducerConfig.edge_types must be a non-empty subset of {tuple(EdgeType.__members__)}, "
                f"got {self.edge_types!r}"
            )
        if self.injection in ("soft_tokens", "prefix") and self.graph_mode == "zero":
            raise ValueError(f"TransducerConfig.injection {self.injection!r} needs a graph; graph_mode 'zero' has none")
        if self.token_node_alignment and (self.injection != "fusion" or self.fusion_key_source != "nodes"
                                          or self.graph_mode == "zero"):
            raise ValueError("TransducerConfig.token_node_alignment needs injection 'fusion', fusion_key_source "
                             f"'nodes' and a graph; got injection={self.injection!r}, fusion_key_source="
                             f"{self.fusion_key_source!r}, graph_mode={self.graph_mode!r}")

    @classmethod
    def small(cls, **overrides: Any) -> TransducerConfig:
        """The paper-sized preset (the paper's fusion design): 8-dim bottleneck, one single-head GATv2 layer, 8-dim
        graph features and single-head 8-dim attention (about 20.5k trainable parameters on CodeT5+ 220M, under the paper's 30,728)."""
        return cls(**{**SMALL, **overrides})

    @property
    def edge_type_ids(self) -> tuple[int, ...]:
        """``edge_types`` as :class:`~cpg.graph.EdgeType` integer values."""
        return tuple(int(EdgeType[name]) for name in self.edge_types)

    def build(self, backbone: Any, tokenizer: Any) -> TransducerModel:
        """Freeze ``backbone`` and attach a freshly initialized Transducer to it."""
        return TransducerModel(backbone, tokenizer, self)
