"""Graph soft tokens: the ``soft_tokens`` injection mode, as G-Retriever and GALLa put a graph into a frozen LM.

``K`` learned queries attend over a graph's node features; each result, projected to the backbone's hidden size,
becomes one input embedding placed in front of the source tokens. The token embeddings themselves are left as
they are (the ``fusion`` mode instead adds a per-token update to them).
"""

from __future__ import annotations

import torch
from torch import nn

from transducer.fusion import GraphQueries, check_positive_bound, soft_norm_cap
from transducer.gve import GraphFeatures


class GraphSoftTokens(GraphQueries):
    """``GraphFeatures`` (nodes (B, N, G), mask (B, N)) -> soft tokens (B, K, H).

    Args:
        hidden_size: H, the backbone's embedding size.
        graph_dim: G, the GVE's output size.
        num_tokens: K soft tokens per graph.
        attention_dim / num_heads: the attention's width and heads.
        dropout: attention dropout.
        embedding_scale: typical norm of one backbone input embedding; the soft tokens start at that scale
            (``output`` is initialised so), so that the frozen model sees inputs of a familiar size.
        norm_bound: each soft token's norm stays below this many times ``embedding_scale`` (a smooth cap,
            :func:`~transducer.fusion.soft_norm_cap`), however training goes; ``None`` leaves it unbounded.
    """

    def __init__(self, hidden_size: int, graph_dim: int, num_tokens: int = 8, attention_dim: int = 128,
                 num_heads: int = 4, dropout: float = 0.1, embedding_scale: float = 1.0,
                 norm_bound: float | None = 2.0) -> None:
        super().__init__(graph_dim, num_tokens, attention_dim, num_heads, dropout)
        check_positive_bound(norm_bound, "norm_bound")
        self.max_norm = None if norm_bound is None else norm_bound * embedding_scale
        self.output = nn.Linear(attention_dim, hidden_size)
        if not self.output.weight.is_meta:  # the meta device has shapes only (parameter counts)
            with torch.no_grad():
                self.output.weight.mul_(embedding_scale / max(float(self.output.weight.norm(dim=1).mean()), 1e-6))

    def forward(self, graph: GraphFeatures) -> torch.Tensor:
        """(B, K, H) soft tokens, one set per graph (each of norm below ``norm_bound * embedding_scale``)."""
        tokens = self.output(self.attend(graph))
        if self.max_norm is None:
            return tokens
        return soft_norm_cap(tokens, torch.tensor(self.max_norm))
