"""How much of a trained transducer's fusion update depends on the graph.

The fusion adds an update ``Δ`` to every fused token embedding. Two shares summarise it over a set of batches:

- ``constant_share``: the energy of the mean update (one vector added to every token) as a share of the total
  energy ``Σ‖Δ_i‖²``; near 1 means the update is a learned constant, the same for every token and sample.
- ``graph_change``: ``sqrt(Σ‖Δ_i(g) − Δ_i(g')‖² / Σ‖Δ_i(g)‖²)`` where ``g'`` gives each sample another sample's
  graph (the batch's graphs rolled by one); 0 means the update ignores the graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch_geometric.data import Batch


def rolled_graphs(graph: Batch) -> Batch:
    """The same graphs with each sample given the next sample's graph (the last gets the first's); a
    ``token_node_mask`` (B, L, N_max) of token-node alignment travels with its graph."""
    graphs = graph.to_data_list()
    rolled = Batch.from_data_list(graphs[1:] + graphs[:1])
    mask = getattr(graph, "token_node_mask", None)
    if mask is not None:
        rolled.token_node_mask = mask.roll(-1, dims=0)
    return rolled


@torch.no_grad()
def fusion_update_statistics(model: Any, batches: Iterable[dict[str, Any]]) -> dict[str, float]:
    """``constant_share``, ``graph_change`` and ``update_to_embedding`` (‖Δ‖ relative to ‖token embedding‖) of a
    :class:`~transducer.model.TransducerModel` over collated ``batches`` (each with at least two samples)."""
    was_training = model.training
    model.eval()
    updates, shuffled, embeddings = [], [], []
    for batch in batches:
        ids, mask, graph = batch["input_ids"], batch["attention_mask"].bool(), batch["graph"]
        if graph is None or graph.num_graphs < 2:
            continue
        tokens = model.backbone.get_input_embeddings()(ids)
        updates.append((model.fuse(ids, mask, graph) - tokens)[mask].float())
        shuffled.append((model.fuse(ids, mask, rolled_graphs(graph)) - tokens)[mask].float())
        embeddings.append(tokens[mask].float())
    model.train(was_training)
    if not updates:
        raise ValueError("no batch with graphs and at least two samples to analyse")
    delta, delta_shuffled, token = torch.cat(updates), torch.cat(shuffled), torch.cat(embeddings)
    energy = delta.pow(2).sum()
    if energy == 0:
        raise ValueError("the fusion update is zero everywhere (an untrained transducer is exactly the identity)")
    mean = delta.mean(dim=0)
    return {
        "constant_share": float(mean.pow(2).sum() * delta.shape[0] / energy),
        "graph_change": float(((delta - delta_shuffled).pow(2).sum() / energy).sqrt()),
        "update_to_embedding": float((energy / token.pow(2).sum()).sqrt()),
        "tokens": int(delta.shape[0]),
    }
