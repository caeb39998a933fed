"""Attention-Based Fusion Layer (ABFL): token embeddings attend to graph features and get a residual update.

Unlike the reference implementation (one pooled graph vector repeated as every key, so attention is uniform and
the output ignores the graph), keys and values come from the graph's per-node features, a learned "sink" slot
with a zero value lets a token take nothing from the graph, and the update is added to the token embedding through
a zero-initialized output projection: an untrained fusion is exactly the identity and token identity is kept.

The update is bounded (``update_bound``): each token's update is smoothly capped at that fraction of the token's
own embedding norm (:func:`soft_norm_cap`), so however training goes the frozen encoder sees inputs near the ones
it was pretrained on. Unbounded (the transducer before v2), trained updates reached twice the embeddings' norm.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from transducer.gve import GraphFeatures

KEY_SOURCES = ("nodes", "pooled")
#: norms below this count as zero in :func:`soft_norm_cap` (no division by zero; the cap is then the identity)
_NORM_FLOOR = 1e-12


def soft_norm_cap(vectors: torch.Tensor, cap: torch.Tensor) -> torch.Tensor:
    """Scale each vector (last dimension) so that its norm becomes ``cap * tanh(norm / cap)``: strictly below
    ``cap``, and the identity to first order for vectors much shorter than it (zero stays zero).

    Args:
        vectors: (..., D).
        cap: (...) or broadcastable, positive; the bound on each vector's norm.

    Returns:
        (..., D), each row parallel to its input with norm < ``cap``.
    """
    norm = vectors.norm(dim=-1, keepdim=True).clamp(min=_NORM_FLOOR)
    cap = torch.as_tensor(cap, dtype=vectors.dtype, device=vectors.device).clamp(min=_NORM_FLOOR)
    cap = cap.unsqueeze(-1) if cap.dim() == vectors.dim() - 1 else cap
    return vectors * (cap * torch.tanh(norm / cap) / norm)


def check_positive_bound(bound: float | None, name: str = "update_bound") -> None:
    """Refuse a norm bound that is neither positive nor ``None`` (no bound)."""
    if bound is not None and not (isinstance(bound, (int, float)) and bound > 0):
        raise ValueError(f"{name} must be positive (or None, null in YAML, for no bound), got {bound!r}")


def check_fusion_options(attention_dim: int, num_heads: int, key_source: str, update_bound: float | None,
                         names: Mapping[str, str] | None = None) -> None:
    """Refuse an :class:`AttentionFusion` setting that cannot build, naming it (``names``: how the caller calls
    each argument, as for :func:`transducer.gve.check_gve_options`)."""
    name = (names or {}).get
    check_positive_bound(update_bound, name("update_bound", "update_bound"))
    if key_source not in KEY_SOURCES:
        raise ValueError(f"{name('key_source', 'key_source')} must be one of {KEY_SOURCES}, got {key_source!r}")
    if attention_dim % num_heads:
        raise ValueError(f"{name('num_heads', 'num_heads')} ({num_heads}) must divide attention_dim ({attention_dim})")


class AttentionFusion(nn.Module):
    """Low-rank multi-head cross-attention from tokens (queries) to graph features (keys and values).

    Args:
        hidden_size: size of the backbone's token embeddings (H).
        graph_dim: size of the graph features (G).
        attention_dim: width of queries/keys/values (A, split over ``num_heads``); keeps the layer small.
        num_heads: attention heads (must divide ``attention_dim``).
        dropout: dropout on the attention weights.
        key_source: ``"nodes"`` attends over every node's features; ``"pooled"`` over the one pooled graph vector
            (paper-style; with the sink slot the amount taken still depends on the token and the graph).
        update_bound: each token's update stays below this fraction of its embedding's norm (a smooth cap,
            :func:`soft_norm_cap`); ``None`` leaves it unbounded.
    """

    def __init__(
        self,
        hidden_size: int,
        graph_dim: int,
        attention_dim: int = 128,
        num_heads: int = 4,
        dropout: float = 0.1,
        key_source: str = "nodes",
        update_bound: float | None = 0.25,
    ) -> None:
        super().__init__()
        check_fusion_options(attention_dim, num_heads, key_source, update_bound)
        self.num_heads = num_heads
        self.key_source = key_source
        self.update_bound = update_bound
        self.attention_dropout = dropout
        self.token_norm = nn.RMSNorm(hidden_size)
        self.graph_norm = nn.RMSNorm(graph_dim)
        self.query = nn.Linear(hidden_size, attention_dim)
        self.key = nn.Linear(graph_dim, attention_dim)
        self.value = nn.Linear(graph_dim, attention_dim)
        #: key of the always-visible slot whose value is zero ("take nothing from the graph")
        self.sink_key = nn.Parameter(torch.zeros(attention_dim))
        self.output = nn.Linear(attention_dim, hidden_size, bias=False)
        nn.init.zeros_(self.output.weight)

    def forward(self, tokens: torch.Tensor, token_mask: torch.Tensor, graph: GraphFeatures,
                alignment: torch.Tensor | None = None) -> torch.Tensor:
        """Fuse graph features into token embeddings.

        Args:
            tokens: (B, L, H) token embeddings.
            token_mask: (B, L) bool, True at positions to fuse; other positions are returned unchanged.
            graph: per-node features (B, N_max, G) with node mask (B, N_max), and pooled (B, G) features.
            alignment: (B, L, N_max) bool or None; where given, token l attends only to the nodes n with
                ``alignment[b, l, n]`` (those whose source span contains it) and the sink.

        Returns:
            (B, L, H) ``tokens + update`` at fused positions, ``tokens`` elsewhere; ``update`` is
            ``output(attention)``, capped at ``update_bound`` times the token's norm when bounded.
        """
        batch_size, length, _ = tokens.shape
        if self.key_source == "nodes":
            features, feature_mask = graph.nodes, graph.node_mask
        else:
            features, feature_mask = graph.pooled.unsqueeze(1), graph.node_mask.any(dim=1, keepdim=True)
        if alignment is not None:
            if self.key_source != "nodes":
                raise ValueError("a token-node alignment needs key_source 'nodes' (the pooled key has no nodes)")
            nodes = feature_mask.shape[1]
            if alignment.shape[:2] != tokens.shape[:2] or alignment.shape[2] < nodes:
                raise ValueError(f"alignment {tuple(alignment.shape)} does not fit {tuple(tokens.shape[:2])} tokens "
                                 f"and {nodes} nodes")
            feature_mask = feature_mask.unsqueeze(1) & alignment[:, :, :nodes].to(feature_mask.device)
        dtype = self.query.weight.dtype
        queries = self.query(self.token_norm(tokens.to(dtype)))
        attended = attend_to_graph(
            queries, self.graph_norm(features.to(dtype)), feature_mask, self.key, self.value, self.sink_key,
            self.num_heads, self.attention_dropout if self.training else 0.0,
        )
        update = self.output(attended)
        if self.update_bound is not None:
            update = soft_norm_cap(update, self.update_bound * tokens.to(update.dtype).norm(dim=-1))
        update = update.to(tokens.dtype)
        return torch.where(token_mask.unsqueeze(-1), tokens + update, tokens)


def attend_to_graph(
    queries: torch.Tensor, features: torch.Tensor, feature_mask: torch.Tensor, key: nn.Linear, value: nn.Linear,
    sink_key: torch.Tensor, num_heads: int, dropout_p: float,
) -> torch.Tensor:
    """Multi-head attention of ``queries`` (B, Q, A) over graph ``features`` (B, S, G) where ``feature_mask`` (B, S)
    (or (B, Q, S): per query), plus an always-visible sink slot (key ``sink_key``, value zero) that lets a query
    take nothing: (B, Q, A)."""
    batch = features.shape[0]
    keys = torch.cat([sink_key.expand(batch, 1, -1), key(features)], dim=1)
    values = value(features)
    values = torch.cat([values.new_zeros(batch, 1, values.shape[-1]), values], dim=1)
    if feature_mask.dim() == 2:
        feature_mask = feature_mask.unsqueeze(1)  # (B, 1, S): the same nodes for every query
    sink = feature_mask.new_ones(*feature_mask.shape[:2], 1)
    visible = torch.cat([sink, feature_mask], dim=2)  # (B, Q or 1, S+1)

    def split_heads(x: torch.Tensor) -> torch.Tensor:  # (B, S, A) -> (B, heads, S, A / heads)
        return x.unflatten(-1, (num_heads, -1)).transpose(1, 2)

    attended = F.scaled_dot_product_attention(
        split_heads(queries), split_heads(keys), split_heads(values), attn_mask=visible[:, None],
        dropout_p=dropout_p,
    )  # (B, heads, Q, A / heads)
    return attended.transpose(1, 2).flatten(2)


class GraphQueries(nn.Module):
    """``num_queries`` learned queries that attend over a sample's graph nodes (through :func:`attend_to_graph`,
    with a sink key so a query can attend to nothing): the shared reading step of the ``soft_tokens`` and
    ``prefix`` injection modes, which map its (B, P, A) result on in their own ways."""

    def __init__(self, graph_dim: int, num_queries: int, attention_dim: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        if attention_dim % num_heads:
            raise ValueError(f"num_heads ({num_heads}) must divide attention_dim ({attention_dim})")
        self.num_heads = num_heads
        self.attention_dropout = dropout
        self.queries = nn.Parameter(torch.randn(num_queries, attention_dim) / attention_dim**0.5)
        self.graph_norm = nn.LayerNorm(graph_dim)
        self.key = nn.Linear(graph_dim, attention_dim)
        self.value = nn.Linear(graph_dim, attention_dim)
        self.sink_key = nn.Parameter(torch.zeros(1, 1, attention_dim))  # lets a query attend to nothing

    def attend(self, graph: GraphFeatures) -> torch.Tensor:
        """(B, P, A): what each query reads from its sample's nodes."""
        features = self.graph_norm(graph.nodes.to(self.key.weight.dtype))
        queries = self.queries.unsqueeze(0).expand(features.shape[0], -1, -1)
        return attend_to_graph(
            queries, features, graph.node_mask, self.key, self.value, self.sink_key, self.num_heads,
            self.attention_dropout if self.training else 0.0,
        )
