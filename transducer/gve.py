"""Graph Vectorization Engine: node vectors + CPG edges -> per-node graph features and a per-graph vector.

Pipeline (all graphs of a PyG ``Batch`` at once, no loop over graphs):
RMSNorm -> down-projection (node_dim -> bottleneck) [+ learned kind embedding] -> GNN message passing (residual)
-> up-projection (bottleneck -> out_dim) -> dense per-node features with a node mask, and a pooled vector.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import (
    GATv2Conv,
    GCNConv,
    GINConv,
    GINEConv,
    RGCNConv,
    SAGEConv,
    global_add_pool,
    global_max_pool,
    global_mean_pool,
)
from torch_geometric.utils import to_dense_batch

from cpg.graph import CFG_LABELS, EdgeType

GNN_TYPES = ("gatv2", "gcn", "gin", "sage", "rgcn")
#: GNN types that can use edge types (gatv2/gin: a learned edge-type embedding as edge features; gcn: a learned
#: weight per edge type; rgcn: one weight matrix per edge type)
EDGE_TYPED_GNNS = ("gatv2", "gcn", "gin", "rgcn")
POOLINGS = {"mean": global_mean_pool, "max": global_max_pool, "sum": global_add_pool}
GRAPH_MODES = ("gnn", "no_gnn", "zero")
NUM_EDGE_TYPES = len(EdgeType)
#: relation ids: the :class:`~cpg.graph.EdgeType` values, then one per CFG label (``NUM_EDGE_TYPES + label - 1``
#: for a CFG edge with ``cfg_label`` ``label > 0`` when the GVE tells CFG labels apart); reverse edges add this
NUM_RELATIONS = NUM_EDGE_TYPES + len(CFG_LABELS)


@dataclass
class GraphFeatures:
    """What the GVE hands to the fusion layer."""

    nodes: torch.Tensor  #: (B, N_max, out_dim) per-node features, zero at padding nodes
    node_mask: torch.Tensor  #: (B, N_max) bool, True at real nodes
    pooled: torch.Tensor  #: (B, out_dim) per-graph vector


def check_gve_options(gnn_type: str, use_edge_types: bool, heads: int, bottleneck_dim: int, pooling: str,
                      graph_mode: str, names: Mapping[str, str] | None = None) -> None:
    """Refuse a :class:`GraphVectorizationEngine` setting that cannot build, naming it. The one place these rules
    live: ``TransducerConfig`` runs them when it is created, with ``names`` mapping each argument to its field
    (``{"heads": "TransducerConfig.gnn_heads", ...}``) so the error names what the user wrote."""
    name = (names or {}).get
    if gnn_type not in GNN_TYPES:
        raise ValueError(f"{name('gnn_type', 'gnn_type')} must be one of {GNN_TYPES}, got {gnn_type!r}")
    if use_edge_types and gnn_type not in EDGE_TYPED_GNNS:
        raise ValueError(f"{name('use_edge_types', 'use_edge_types')}=True needs gnn_type in {EDGE_TYPED_GNNS}, got "
                         f"{gnn_type!r}; set use_edge_types=False")
    if gnn_type == "gatv2" and bottleneck_dim % heads:
        raise ValueError(f"{name('heads', 'heads')} ({heads}) must divide bottleneck_dim ({bottleneck_dim}) for gatv2")
    if pooling not in POOLINGS:
        raise ValueError(f"{name('pooling', 'pooling')} must be one of {tuple(POOLINGS)}, got {pooling!r}")
    if graph_mode not in GRAPH_MODES:
        raise ValueError(f"{name('graph_mode', 'graph_mode')} must be one of {GRAPH_MODES}, got {graph_mode!r}")


class GraphVectorizationEngine(nn.Module):
    """Graph encoder over a batch of code property graphs.

    Args:
        node_dim: size of the input node vectors (the vectorizer's ``node_dim``).
        out_dim: size of the output node features and pooled vector.
        bottleneck_dim: width of the message-passing layers.
        gnn_type: one of :data:`GNN_TYPES`.
        num_layers: message-passing layers, each ``h = h + dropout(gelu(conv(h)))``.
        heads: attention heads (gatv2 only; must divide ``bottleneck_dim``).
        use_edge_types: let messages depend on the edge type (see :data:`EDGE_TYPED_GNNS`).
        edge_types: :class:`~cpg.graph.EdgeType` values whose edges are used; other edges are dropped.
        cfg_labels: with ``use_edge_types``, CFG edges of each label (``true``, ``back``, ``break``...) are
            relations of their own (needs ``cfg_label`` in :meth:`forward`).
        bidirectional: also pass messages against each edge's direction (reverse edges get their own types).
        pooling: per-graph pooling, one of :data:`POOLINGS`.
        dropout: dropout on each layer's update.
        graph_mode: ``"gnn"``; ``"no_gnn"`` skips message passing (node vectors only); ``"zero"`` ignores the
            graph: one all-zero node per graph, and no parameters (the "transducer without graph" ablation).
        kind_vocab_size: if > 0, add a learned embedding of ``kind_hash % kind_vocab_size`` after down-projection.
    """

    def __init__(
        self,
        node_dim: int,
        out_dim: int,
        bottleneck_dim: int = 64,
        gnn_type: str = "gatv2",
        num_layers: int = 2,
        heads: int = 4,
        use_edge_types: bool = True,
        edge_types: tuple[int, ...] = tuple(EdgeType),
        cfg_labels: bool = True,
        bidirectional: bool = True,
        pooling: str = "mean",
        dropout: float = 0.1,
        graph_mode: str = "gnn",
        kind_vocab_size: int = 0,
    ) -> None:
        super().__init__()
        check_gve_options(gnn_type, use_edge_types, heads, bottleneck_dim, pooling, graph_mode)
        self.out_dim = out_dim
        self.graph_mode = graph_mode
        self.gnn_type = gnn_type
        self.bidirectional = bidirectional
        self.pool = POOLINGS[pooling]
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("edge_type_filter", torch.tensor(sorted(int(t) for t in edge_types)), persistent=False)
        if graph_mode == "zero":
            return
        self.norm = nn.RMSNorm(node_dim)
        self.down = nn.Linear(node_dim, bottleneck_dim)
        self.kind_embedding = nn.Embedding(kind_vocab_size, bottleneck_dim) if kind_vocab_size > 0 else None
        self.cfg_labels = cfg_labels and use_edge_types
        num_relations = NUM_RELATIONS * (2 if bidirectional else 1) if use_edge_types else 1
        self.num_relations = num_relations
        typed = use_edge_types and graph_mode == "gnn"
        self.edge_embedding = nn.Embedding(num_relations, bottleneck_dim) if typed and gnn_type in ("gatv2", "gin") else None
        # softplus(log(e - 1)) = 1: every edge type starts with weight 1
        self.edge_weight_logit = (
            nn.Parameter(torch.full((num_relations,), math.log(math.e - 1))) if typed and gnn_type == "gcn" else None
        )
        layers = num_layers if graph_mode == "gnn" else 0
        self.convs = nn.ModuleList(self._make_conv(bottleneck_dim, heads, typed) for _ in range(layers))
        self.up = nn.Linear(bottleneck_dim, out_dim)

    def _make_conv(self, dim: int, heads: int, typed: bool) -> nn.Module:
        if self.gnn_type == "gatv2":
            return GATv2Conv(dim, dim // heads, heads=heads, edge_dim=dim if typed else None)
        if self.gnn_type == "gcn":
            return GCNConv(dim, dim)
        if self.gnn_type == "gin":
            mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
            return GINEConv(mlp, edge_dim=dim) if typed else GINConv(mlp)
        if self.gnn_type == "sage":
            return SAGEConv(dim, dim)
        return RGCNConv(dim, dim, num_relations=self.num_relations)

    def forward(
        self,
        x: torch.Tensor | None,
        edge_index: torch.Tensor,
        edge_type: torch.Tensor,
        batch: torch.Tensor,
        num_graphs: int,
        kind_hash: torch.Tensor | None = None,
        cfg_label: torch.Tensor | None = None,
    ) -> GraphFeatures:
        """Encode a batch of graphs.

        Args:
            x: (N, node_dim) node vectors of all graphs (unused, may be None, in ``"zero"`` mode).
            edge_index: (2, E) long; edge_type: (E,) long :class:`~cpg.graph.EdgeType` values.
            batch: (N,) long graph index of each node (sorted, as in a PyG ``Batch``).
            num_graphs: B, the number of graphs (some may have no nodes).
            kind_hash: (N,) long stable hash of each node's kind (needed with ``kind_vocab_size > 0``).
            cfg_label: (E,) long CFG edge labels (``CodePropertyGraph.to_pyg``'s ``cfg_label``, 0: none); None: CFG
                edges are one relation.
        """
        if self.graph_mode == "zero":
            return self.zero_features(num_graphs, torch.get_default_dtype(), batch.device)
        h = self.down(self.norm(x.to(self.down.weight.dtype)))
        if self.kind_embedding is not None:
            if kind_hash is None:
                raise ValueError("this GVE uses learned kind embeddings: pass kind_hash (node_kind_hash from encode_graph)")
            h = h + self.kind_embedding(kind_hash % self.kind_embedding.num_embeddings)
        if len(self.convs):
            edge_index, edge_type = self._edges(edge_index, edge_type, cfg_label)
            for conv in self.convs:
                h = h + self.dropout(F.gelu(self._message_pass(conv, h, edge_index, edge_type)))
        nodes = self.up(h)
        dense, mask = to_dense_batch(nodes, batch, batch_size=num_graphs)
        return GraphFeatures(nodes=dense, node_mask=mask, pooled=self.pool(nodes, batch, size=num_graphs))

    def zero_features(self, num_graphs: int, dtype: torch.dtype, device: torch.device) -> GraphFeatures:
        """What ``"zero"`` mode gives for any graph: one visible all-zero node per graph."""
        return GraphFeatures(
            nodes=torch.zeros((num_graphs, 1, self.out_dim), dtype=dtype, device=device),
            node_mask=torch.ones((num_graphs, 1), dtype=torch.bool, device=device),
            pooled=torch.zeros((num_graphs, self.out_dim), dtype=dtype, device=device),
        )

    def _edges(
        self, edge_index: torch.Tensor, edge_type: torch.Tensor, cfg_label: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keep the selected edge types; relation ids (:data:`NUM_RELATIONS`), CFG labels apart if asked; add
        reverse edges (relations shifted by NUM_RELATIONS) if bidirectional."""
        if self.edge_type_filter.numel() < NUM_EDGE_TYPES:
            keep = torch.isin(edge_type, self.edge_type_filter)
            edge_index, edge_type = edge_index[:, keep], edge_type[keep]
            cfg_label = cfg_label[keep] if cfg_label is not None else None
        if self.cfg_labels and cfg_label is not None:
            labelled = (edge_type == int(EdgeType.CFG)) & (cfg_label > 0)
            edge_type = torch.where(labelled, NUM_EDGE_TYPES - 1 + cfg_label, edge_type)
        if self.bidirectional:
            edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
            edge_type = torch.cat([edge_type, edge_type + NUM_RELATIONS])
        if self.num_relations == 1:
            edge_type = torch.zeros_like(edge_type)
        return edge_index, edge_type

    def _message_pass(
        self, conv: nn.Module, h: torch.Tensor, edge_index: torch.Tensor, edge_type: torch.Tensor
    ) -> torch.Tensor:
        if self.gnn_type == "rgcn":
            return conv(h, edge_index, edge_type)
        if self.edge_embedding is not None:
            return conv(h, edge_index, edge_attr=self.edge_embedding(edge_type))
        if self.edge_weight_logit is not None:
            return conv(h, edge_index, edge_weight=F.softplus(self.edge_weight_logit)[edge_type])
        return conv(h, edge_index)
