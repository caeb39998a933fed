"""encode_graph: fixed-width token tensors per node that PyG batches by concatenation."""

from __future__ import annotations

import zlib

import pytest
import torch
from torch_geometric.data import Batch
from tests.transducer.transducer_helpers import empty_cpg, toy_cpg

from transducer.graph_inputs import encode_graph


def test_shapes_padding_and_fields(byte_tokenizer):
    data = encode_graph(toy_cpg(), byte_tokenizer, max_node_tokens=16, max_kind_tokens=8)
    assert data.num_nodes == 4
    assert data.node_token_ids.shape == (4, 16) and data.node_token_ids.dtype == torch.long
    assert data.node_token_mask.shape == (4, 16) and data.node_token_mask.dtype == torch.bool
    assert data.kind_token_ids.shape == (4, 8) and data.kind_token_mask.shape == (4, 8)
    # node 3 is "1": one byte token, then padding with the pad id
    assert data.node_token_mask[3].tolist() == [True] + [False] * 15
    assert data.node_token_ids[3, 0] == byte_tokenizer.convert_tokens_to_ids("1")
    assert (data.node_token_ids[3, 1:] == byte_tokenizer.pad_token_id).all()
    # long texts are truncated to their first max_node_tokens tokens
    assert data.node_token_mask[0].all()
    expected = byte_tokenizer("int f() { return", add_special_tokens=False)["input_ids"][:16]
    assert data.node_token_ids[0].tolist() == expected
    assert torch.equal(data.edge_type, torch.tensor([0, 0, 0, 1, 2, 3]))
    assert "node_text" not in data and "node_kind" not in data


def test_kind_tokens_and_hash(byte_tokenizer):
    data = encode_graph(toy_cpg(), byte_tokenizer, max_kind_tokens=8)
    block = byte_tokenizer("block", add_special_tokens=False)["input_ids"]
    assert data.kind_token_ids[1, : len(block)].tolist() == block
    assert data.kind_token_mask[1].sum() == len(block)
    method = byte_tokenizer("method d", add_special_tokens=False)["input_ids"]  # underscores become spaces
    assert data.kind_token_ids[0].tolist() == method
    assert data.node_kind_hash[2] == zlib.crc32(b"return_statement")


def test_empty_graph_and_batching(byte_tokenizer):
    empty = encode_graph(empty_cpg(), byte_tokenizer, max_node_tokens=16)
    assert empty.num_nodes == 0
    assert empty.node_token_ids.shape == (0, 16) and empty.edge_index.shape == (2, 0)
    graphs = [encode_graph(toy_cpg(), byte_tokenizer), empty, encode_graph(toy_cpg(1), byte_tokenizer)]
    batch = Batch.from_data_list(graphs)
    assert batch.num_graphs == 3 and batch.num_nodes == 8
    assert batch.node_token_ids.shape == (8, 16)
    assert batch.batch.tolist() == [0] * 4 + [2] * 4
    assert torch.equal(batch.edge_index[:, 6:], graphs[2].edge_index + 4)  # node indices shifted per graph


def test_accepts_pyg_data_and_keeps_x(byte_tokenizer):
    data = toy_cpg().to_pyg()
    data.x = torch.ones(4, 3)
    encoded = encode_graph(data, byte_tokenizer)
    assert torch.equal(encoded.x, data.x)
    assert torch.equal(encoded.node_token_ids, encode_graph(toy_cpg(), byte_tokenizer).node_token_ids)


def test_bad_inputs(byte_tokenizer):
    data = toy_cpg().to_pyg()
    data.node_text = data.node_text[:2]
    with pytest.raises(ValueError, match="4 nodes but 2 node_text"):
        encode_graph(data, byte_tokenizer)
    with pytest.raises(ValueError, match="max_node_tokens"):
        encode_graph(toy_cpg(), byte_tokenizer, max_node_tokens=0)


def test_encode_graphs_equals_one_by_one(byte_tokenizer):
    from transducer.graph_inputs import encode_graphs

    graphs = [toy_cpg(0), empty_cpg(), toy_cpg(1), toy_cpg(0)]
    together = encode_graphs(graphs, byte_tokenizer, max_node_tokens=6, max_kind_tokens=4, progress=True)
    for graph, encoded in zip(graphs, together):
        alone = encode_graph(graph, byte_tokenizer, max_node_tokens=6, max_kind_tokens=4)
        assert encoded.keys() == alone.keys()
        for key in alone.keys():
            value = alone[key]
            assert torch.equal(encoded[key], value) if isinstance(value, torch.Tensor) else encoded[key] == value
