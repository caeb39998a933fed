"""GraphVectorizationEngine: batched message passing to dense per-node features and pooled vectors."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

from transducer.gve import GNN_TYPES, GraphVectorizationEngine

NODE_DIM = 12


def _graph(num_nodes: int, edges: list[tuple[int, int, int]], seed: int) -> Data:
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.tensor([[s for s, _, _ in edges], [d for _, d, _ in edges]], dtype=torch.long).reshape(2, -1)
    edge_type = torch.tensor([t for _, _, t in edges], dtype=torch.long)
    x = torch.randn(num_nodes, NODE_DIM, generator=generator)
    return Data(x=x, edge_index=edge_index, edge_type=edge_type, num_nodes=num_nodes)


CHAIN = [(0, 1, 0), (1, 2, 0), (0, 2, 1), (2, 0, 2)]


def _run(gve: GraphVectorizationEngine, graphs: list[Data]):
    batch = Batch.from_data_list(graphs)
    return gve(batch.x, batch.edge_index, batch.edge_type, batch.batch, batch.num_graphs)


def _gve(**kwargs) -> GraphVectorizationEngine:
    torch.manual_seed(0)
    options = {"bottleneck_dim": 8, "heads": 2, "dropout": 0.0, **kwargs}
    return GraphVectorizationEngine(node_dim=NODE_DIM, out_dim=6, **options).eval()


def test_shapes_masks_and_pooling_with_an_empty_graph():
    gve = _gve()
    graphs = [_graph(3, CHAIN, 0), _graph(0, [], 1), _graph(5, [(0, 4, 0), (4, 3, 3)], 2)]
    features = _run(gve, graphs)
    assert features.nodes.shape == (3, 5, 6) and features.pooled.shape == (3, 6)
    assert features.node_mask.tolist() == [[True] * 3 + [False] * 2, [False] * 5, [True] * 5]
    assert torch.equal(features.nodes[~features.node_mask], torch.zeros(7, 6))
    torch.testing.assert_close(features.pooled[0], features.nodes[0, :3].mean(dim=0))
    assert torch.equal(features.pooled[1], torch.zeros(6))
    assert torch.isfinite(features.nodes).all()


@pytest.mark.parametrize("gnn_type", GNN_TYPES)
def test_batch_equals_separate_graphs_and_edges_matter(gnn_type):
    gve = _gve(gnn_type=gnn_type, use_edge_types=gnn_type != "sage")
    graphs = [_graph(3, CHAIN, 0), _graph(4, [(0, 1, 0), (2, 3, 1)], 1)]
    together = _run(gve, graphs)
    for i, graph in enumerate(graphs):  # no information leaks between graphs of a batch
        alone = _run(gve, [graph])
        n = graph.num_nodes
        torch.testing.assert_close(together.nodes[i, :n], alone.nodes[0, :n], atol=1e-5, rtol=1e-5)
    rewired = _graph(3, [(1, 0, 0)], 0)
    assert not torch.allclose(_run(gve, [rewired]).nodes, _run(gve, graphs[:1]).nodes)


def test_edge_types_matter_and_unused_types_are_ignored():
    gve = _gve(edge_types=(0, 1))
    base = _run(gve, [_graph(3, CHAIN, 0)]).nodes
    retyped = _run(gve, [_graph(3, [(0, 1, 1), (1, 2, 0), (0, 2, 1), (2, 0, 2)], 0)]).nodes
    assert not torch.allclose(base, retyped)
    without_ddg = _run(gve, [_graph(3, CHAIN[:3], 0)]).nodes  # DDG (type 2) is not among edge_types
    torch.testing.assert_close(base, without_ddg)


def test_no_gnn_ignores_edges():
    gve = _gve(graph_mode="no_gnn")
    assert len(gve.convs) == 0
    torch.testing.assert_close(_run(gve, [_graph(3, CHAIN, 0)]).nodes, _run(gve, [_graph(3, [], 0)]).nodes)


def test_zero_mode_has_no_parameters_and_one_zero_node():
    gve = _gve(graph_mode="zero")
    assert sum(p.numel() for p in gve.parameters()) == 0
    features = _run(gve, [_graph(3, CHAIN, 0), _graph(0, [], 1)])
    assert features.nodes.shape == (2, 1, 6) and features.node_mask.all()
    assert not features.nodes.any() and not features.pooled.any()


def test_learned_kind_embedding():
    gve = _gve(kind_vocab_size=16)
    batch = Batch.from_data_list([_graph(3, CHAIN, 0)])
    run = lambda kinds: gve(batch.x, batch.edge_index, batch.edge_type, batch.batch, 1, kind_hash=kinds).nodes  # noqa: E731
    assert not torch.allclose(run(torch.tensor([1, 2, 3])), run(torch.tensor([1, 2, 4])))
    torch.testing.assert_close(run(torch.tensor([1, 2, 3])), run(torch.tensor([17, 2, 3])))  # hashed modulo 16
    with pytest.raises(ValueError, match="kind_hash"):
        run(None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gnn_type": "gat"}, "gnn_type must be one of"),
        ({"gnn_type": "sage"}, "use_edge_types=True needs gnn_type"),
        ({"heads": 3}, "must divide bottleneck_dim"),
        ({"pooling": "median"}, "pooling must be one of"),
        ({"graph_mode": "off"}, "graph_mode must be one of"),
    ],
)
def test_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _gve(**kwargs)
