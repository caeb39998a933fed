"""The ``prefix`` injection mode (transducer_prefix) on tiny random T5 (seq2seq) and GPT-2 (decoder-only) backbones."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from torch_geometric.data import Batch
from transformers import AutoConfig, EncoderDecoderCache

from tests.transducer.methods.tiny import generation_batch, training_batch
from tests.transducer.transducer_helpers import TINY_GPT2, TINY_T5, empty_cpg, make_backbone, toy_cpg
from transducer.config import TransducerConfig
from transducer.graph_prefix import GraphPrefix, KVLayout
from transducer.gve import GraphFeatures
from transducer.memory import MemoryLevers, apply_memory_levers
from transducer.methods import load_adapted_model
from transducer.adaptation import ADAPTER_CONFIG_NAME
from transducer.model import Transducer, TransducerModel

#: small sizes: P = 3 prefix positions, rank 4
SMALL = dict(bottleneck_dim=8, num_layers=1, gnn_heads=1, graph_dim=8, attention_dim=8, attention_heads=1,
             num_prefix_tokens=3, prefix_rank=4, dropout=0.0)
PREFIX = dict(injection="prefix")  # the preset transducer_prefix


def _build(backbone, tokenizer, **overrides) -> TransducerModel:
    torch.manual_seed(0)
    return TransducerConfig(**{**SMALL, **PREFIX, **overrides}).build(backbone, tokenizer)


def _graphs(model: TransducerModel, variants=(0, 1)) -> Batch:
    return Batch.from_data_list([model.encode_graph(empty_cpg() if v is None else toy_cpg(v)) for v in variants])


def _family(model: TransducerModel) -> str:
    return model.backbone.config.model_type


def test_kv_layout_is_the_decoder_self_attention_of_each_family():
    def layout(model_type: str, **options) -> KVLayout:
        return KVLayout.of(AutoConfig.for_model(model_type, **options))

    # T5: the decoder's layer count (not the encoder's), d_kv per head
    assert layout("t5", num_layers=2, num_decoder_layers=3, num_heads=2, d_kv=16, d_model=32) == KVLayout(3, 2, 16)
    assert layout("bart", encoder_layers=2, decoder_layers=3, encoder_attention_heads=2, decoder_attention_heads=4,
                  d_model=32) == KVLayout(3, 4, 8)
    assert layout("gpt2", n_layer=2, n_head=2, n_embd=32) == KVLayout(2, 2, 16)
    # grouped-query attention caches its key/value heads only
    assert layout("llama", num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, hidden_size=32) == KVLayout(2, 1, 8)


def test_graph_prefix_shapes_parameters_and_node_mask():
    torch.manual_seed(0)
    layers, heads, head_dim, graph_dim, positions, width, rank = 2, 2, 16, 8, 3, 8, 4
    prefix = GraphPrefix(KVLayout(layers, heads, head_dim), graph_dim, positions, width, num_heads=2, rank=rank).eval()
    kv = layers * 2 * heads * head_dim
    expected = (positions * width + 2 * graph_dim + 2 * (graph_dim + 1) * width + width  # queries, norm, key/value, sink
                + (width + 1) * rank + (rank + 1) * kv)  # down, up
    assert sum(p.numel() for p in prefix.parameters()) == expected == 868

    nodes = torch.randn(2, 4, graph_dim)
    mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    states = prefix(GraphFeatures(nodes, mask, nodes.mean(1)))
    assert states.shape == (layers, 2, 2, heads, positions, head_dim)
    changed = nodes.clone()
    changed[1, 2:] += 5.0  # only padding nodes of sample 1
    torch.testing.assert_close(prefix(GraphFeatures(changed, mask, nodes.mean(1))), states, rtol=0, atol=0)
    changed[0, 0] = torch.randn(graph_dim)  # a real node of sample 0
    moved = prefix(GraphFeatures(changed, mask, nodes.mean(1)))
    assert not torch.allclose(moved[:, :, 0], states[:, :, 0])
    torch.testing.assert_close(moved[:, :, 1], states[:, :, 1])


def test_parameter_budget_on_codet5p_220m():
    # CodeT5+ 220M: d_model 768, 12 decoder layers of 12 heads x 64; defaults: P = 8, rank 8, attention width 128
    transducer = Transducer(TransducerConfig(**PREFIX), nn.Embedding(32100, 768), KVLayout(12, 12, 64))
    counts = transducer.parameter_breakdown()
    assert counts["prefix.up"] == (8 + 1) * 12 * 2 * 12 * 64 == 165_888
    assert sum(counts.values()) < 884_736  # LoRA r=8 on q, v


def test_forward_backward_reaches_the_prefix_and_the_gnn(tiny_backbone):
    model = _build(*tiny_backbone)
    assert model.transducer.prefix is not None and model.transducer.fusion is None and model.transducer.soft_tokens is None
    output = model(**training_batch(_family(model)), graph=_graphs(model))
    assert torch.isfinite(output.loss)
    output.loss.backward()
    trained = model.transducer.trainable_state_dict()
    assert any(name.startswith("gve.convs.") for name in trained)
    for name, parameter in trained.items():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    assert all(p.grad is None for p in model.backbone.parameters())


def test_encoder_gets_no_prefix_in_seq2seq():
    model = _build(*make_backbone(TINY_T5)).eval()
    batch = training_batch("t5")
    with torch.no_grad():
        output = model(**batch, graph=_graphs(model))
        reference = model.backbone(**batch)
    # the encoder runs unchanged; the decoder (self-attention prefix) differs
    torch.testing.assert_close(output.encoder_last_hidden_state, reference.encoder_last_hidden_state, rtol=0, atol=0)
    assert not torch.allclose(output.logits, reference.logits)


def test_only_the_graph_changes_the_output(tiny_backbone):
    model = _build(*tiny_backbone).eval()
    batch = training_batch(_family(model))
    with torch.no_grad():
        output = model(**batch, graph=_graphs(model, (0, 1)))
        other = model(**batch, graph=_graphs(model, (2, 1)))
        again = model(**batch, graph=_graphs(model, (0, 1)))
    assert not torch.allclose(output.logits[0], other.logits[0])
    torch.testing.assert_close(output.logits[1], other.logits[1])  # sample 1 kept its graph
    torch.testing.assert_close(again.logits, output.logits, rtol=0, atol=0)
    assert output.loss != other.loss


def test_optimizer_step_trains_the_transducer_and_leaves_the_backbone_bit_identical(tiny_backbone):
    model = _build(*tiny_backbone)
    backbone_before = {n: p.clone() for n, p in model.backbone.state_dict().items()}
    transducer_before = {n: p.clone() for n, p in model.transducer.trainable_state_dict().items()}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    batch = {**training_batch(_family(model)), "graph": _graphs(model)}
    model.train()
    for _ in range(2):
        optimizer.zero_grad()
        model(**batch).loss.backward()
        optimizer.step()
    assert all(torch.equal(p, backbone_before[n]) for n, p in model.backbone.state_dict().items())
    assert all(not torch.equal(p, transducer_before[n]) for n, p in model.transducer.trainable_state_dict().items())


def _randomize(model: TransducerModel) -> None:
    """Stand-in for training: random Transducer weights, large enough that the tiny backbone's output follows the graph."""
    torch.manual_seed(1)
    for parameter in model.transducer.trainable_state_dict().values():
        nn.init.normal_(parameter, std=1.0)


def _first_layer_keys(cache) -> torch.Tensor:
    return (cache.self_attention_cache if isinstance(cache, EncoderDecoderCache) else cache).layers[0].keys


def test_greedy_generation_continues_what_forward_predicts(tiny_backbone):
    model = _build(*tiny_backbone).eval()
    _randomize(model)
    graphs = _graphs(model)
    if model.is_seq2seq:
        batch = training_batch("t5")
        batch = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
        with torch.no_grad():  # labels of one token: the decoder sees only its start token
            logits = model(**batch, labels=torch.full((2, 1), 5), graph=graphs).logits[:, 0]
        generated = model.generate(**batch, graph=graphs, max_new_tokens=1, do_sample=False)
        assert torch.equal(generated[:, 1], logits.argmax(-1))
    else:
        batch = generation_batch()  # sample 1 has no padding: forward and generate place its tokens alike
        with torch.no_grad():
            logits = model(**batch, graph=graphs).logits[1, -1]
        generated = model.generate(**batch, graph=graphs, max_new_tokens=1, do_sample=False)
        assert generated.shape == (2, 1) and generated[1, 0] == logits.argmax()


def test_beam_search_gives_each_sample_its_own_prefix(tiny_backbone):
    model = _build(*tiny_backbone).eval()
    _randomize(model)
    batch, variants = generation_batch(), (0, None)
    graphs = _graphs(model, variants)
    alone = [{"input_ids": batch["input_ids"][i : i + 1], "attention_mask": batch["attention_mask"][i : i + 1],
              "graph": _graphs(model, (variants[i],))} for i in range(2)]
    # generate repeats each sample's inputs for its beams (sample 0, sample 0, sample 1, sample 1): so does the cache
    with torch.no_grad():
        keys = _first_layer_keys(model.prefix_cache(**batch, graph=graphs, copies=2))
        for i in range(2):
            own = _first_layer_keys(model.prefix_cache(**alone[i]))[0]
            torch.testing.assert_close(keys[2 * i], own)
            torch.testing.assert_close(keys[2 * i + 1], own)
    assert not torch.allclose(keys[0], keys[2])

    options = dict(num_beams=2, max_new_tokens=3, min_new_tokens=3)
    together = model.generate(**batch, graph=graphs, **options)
    assert together.shape == ((2, 4) if model.is_seq2seq else (2, 3))
    for i in range(2):
        assert torch.equal(model.generate(**alone[i], **options)[0], together[i])
    returned = model.generate(**batch, graph=graphs, num_return_sequences=2, **options)
    assert returned.shape[0] == 4 and torch.equal(returned[::2], together)  # the best beam of each sample first


def test_save_load_round_trip(tiny_backbone, tmp_path):
    model = _build(*tiny_backbone)
    _randomize(model)
    model.eval().save_pretrained(tmp_path)
    saved = json.loads((tmp_path / ADAPTER_CONFIG_NAME).read_text())
    assert saved["method"] == "transducer"  # a preset saves as its method with its options
    assert (saved["config"]["injection"], saved["config"]["num_prefix_tokens"], saved["config"]["prefix_rank"]) == ("prefix", 3, 4)

    fresh = make_backbone(TINY_T5 if model.is_seq2seq else TINY_GPT2)  # the untrained backbone, built anew
    reloaded = load_adapted_model(tmp_path, *fresh).eval()
    assert reloaded.config == model.config
    batch, graphs = training_batch(_family(model)), _graphs(model)
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**batch, graph=graphs).logits, model(**batch, graph=graphs).logits,
                                   rtol=0, atol=0)
    options = dict(graph=graphs, num_beams=2, max_new_tokens=3)
    assert torch.equal(reloaded.generate(**generation_batch(), **options), model.generate(**generation_batch(), **options))


def test_bf16_autocast_gets_prefixes_in_the_compute_dtype(tiny_backbone):
    model = _build(*tiny_backbone)
    apply_memory_levers(model, model.backbone, MemoryLevers(frozen_dtype="bfloat16"))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        cache = model.prefix_cache(generation_batch()["input_ids"], generation_batch()["attention_mask"], _graphs(model))
        loss = model(**training_batch(_family(model)), graph=_graphs(model)).loss
    keys = _first_layer_keys(cache)
    assert keys.dtype == torch.bfloat16 and keys.shape == (2, 2, 3, 16)  # (B, heads, P, head_dim)
    assert torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in model.transducer.prefix.parameters())


def test_refusals(tiny_backbone):
    with pytest.raises(ValueError, match="injection 'prefix' needs a graph; graph_mode 'zero' has none"):
        TransducerConfig(injection="prefix", graph_mode="zero")
    for name in ("num_prefix_tokens", "prefix_rank"):
        with pytest.raises(ValueError, match=f"TransducerConfig.{name} must be a positive integer, got 0"):
            TransducerConfig(**PREFIX, **{name: 0})
    with pytest.raises(ValueError, match="needs the backbone's kv_layout"):
        Transducer(TransducerConfig(**PREFIX), nn.Embedding(10, 8))

    model = _build(*tiny_backbone)
    batch = training_batch(_family(model))
    with pytest.raises(ValueError, match="leaves the input embeddings unchanged"):
        model.fuse(batch["input_ids"], batch["attention_mask"].bool(), _graphs(model))
    apply_memory_levers(model, model.backbone, MemoryLevers(gradient_checkpointing=True))
    model.train()
    with pytest.raises(ValueError, match="cannot train with gradient checkpointing"):
        model(**batch, graph=_graphs(model))
    model.eval()  # checkpointing only acts in training: generation still works
    assert model.generate(**generation_batch(), graph=_graphs(model), max_new_tokens=2).shape[0] == 2
