"""The graph-dependence statistics of a transducer's fusion update."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

from tests.transducer.transducer_helpers import TINY_T5, make_backbone, toy_cpg
from transducer import TransducerConfig
from transducer.analysis import fusion_update_statistics, rolled_graphs


def _model_and_batch(graph_variants: list[int]):
    torch.manual_seed(0)
    backbone, tokenizer = make_backbone(TINY_T5)
    model = TransducerConfig(injection="fusion", bottleneck_dim=8, gnn_heads=2, graph_dim=8, attention_dim=8,
                             attention_heads=2).build(backbone, tokenizer)
    with torch.no_grad():  # an untrained transducer is the identity: give it weights that do something
        for parameter in model.transducer.parameters():
            parameter.normal_(0, 0.5)
    encoded = tokenizer(["int a = b;", "return x + y;", "f(g(h));"], return_tensors="pt", padding=True)
    graph = Batch.from_data_list([model.encode_graph(toy_cpg(v)) for v in graph_variants])
    return model, {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"], "graph": graph}


def test_graph_change_is_positive_for_different_graphs_and_zero_for_identical_ones():
    model, batch = _model_and_batch([0, 1, 2])
    statistics = fusion_update_statistics(model, [batch])
    assert 0.0 <= statistics["constant_share"] <= 1.0
    assert statistics["graph_change"] > 0.01
    assert statistics["tokens"] == int(batch["attention_mask"].sum())

    model, batch = _model_and_batch([1, 1, 1])  # every sample has the same graph: swapping changes nothing
    assert fusion_update_statistics(model, [batch])["graph_change"] == pytest.approx(0.0, abs=1e-6)


def test_untrained_transducer_is_refused():
    torch.manual_seed(0)
    backbone, tokenizer = make_backbone(TINY_T5)
    model = TransducerConfig(injection="fusion").build(backbone, tokenizer)
    encoded = tokenizer(["a", "b"], return_tensors="pt", padding=True)
    graph = Batch.from_data_list([model.encode_graph(toy_cpg(0)), model.encode_graph(toy_cpg(1))])
    with pytest.raises(ValueError, match="identity"):
        fusion_update_statistics(model, [{**encoded, "graph": graph}])


def test_rolled_graphs_carry_their_token_node_alignment():
    """With token-node alignment each sample's mask (which of its tokens lie in which nodes) moves with its graph:
    the aligned transducer's analysis failed on a rolled batch without it."""
    batch = Batch.from_data_list([Data(x=torch.full((n, 2), float(n))) for n in (2, 3, 4)])
    batch.token_node_mask = torch.zeros(3, 5, 4, dtype=torch.bool)  # (B, L, N_max)
    batch.token_node_mask[1, 0, 2] = True
    rolled = rolled_graphs(batch)
    assert [g.num_nodes for g in rolled.to_data_list()] == [3, 4, 2]
    torch.testing.assert_close(rolled.token_node_mask, batch.token_node_mask.roll(-1, dims=0))
    assert rolled.token_node_mask[0, 0, 2]  # sample 1's alignment now sits with sample 1's graph at position 0
