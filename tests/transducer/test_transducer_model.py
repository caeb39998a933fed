"""TransducerModel on tiny random T5 (seq2seq) and GPT-2 (decoder-only) backbones."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from safetensors.torch import load_file
from torch import nn
from torch_geometric.data import Batch
from transformers import BertConfig, BertModel, ByT5Tokenizer

from tests.transducer.transducer_helpers import TINY_GPT2, TINY_T5, empty_cpg, make_backbone, toy_cpg
from transducer.backbone import backbone_fingerprint, is_seq2seq
from transducer.config import TransducerConfig
from transducer.adaptation import ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, BackboneMismatchError
from transducer.model import TransducerModel

SOURCES = ["int f() { return 1; }", "x"]
TARGETS = ["returns one", "ok"]


def _build(backbone, tokenizer, **overrides) -> TransducerModel:
    torch.manual_seed(0)
    return TransducerConfig.small(dropout=0.0, **overrides).build(backbone, tokenizer)


def _graphs(model: TransducerModel, variants=(0, None)) -> Batch:
    return Batch.from_data_list([model.encode_graph(empty_cpg() if v is None else toy_cpg(v)) for v in variants])


def _training_batch(model: TransducerModel) -> dict[str, torch.Tensor]:
    """The collator's conventions: seq2seq source/labels; decoder-only source+target with -100 on prompt/padding."""
    tokenizer = model.tokenizer
    if model.is_seq2seq:
        source = tokenizer(SOURCES, padding=True, return_tensors="pt")
        labels = tokenizer(TARGETS, padding=True, return_tensors="pt")
        return {
            "input_ids": source["input_ids"],
            "attention_mask": source["attention_mask"],
            "labels": labels["input_ids"].masked_fill(labels["attention_mask"] == 0, -100),
        }
    prompts = [tokenizer(s, add_special_tokens=False)["input_ids"] for s in SOURCES]
    targets = [tokenizer(t)["input_ids"] for t in TARGETS]
    length = max(len(p) + len(t) for p, t in zip(prompts, targets))
    input_ids = torch.full((2, length), tokenizer.pad_token_id)
    attention_mask = torch.zeros((2, length), dtype=torch.long)
    labels = torch.full((2, length), -100)
    for i, (prompt, target) in enumerate(zip(prompts, targets)):
        n = len(prompt) + len(target)
        input_ids[i, :n] = torch.tensor(prompt + target)
        attention_mask[i, :n] = 1
        labels[i, len(prompt) : n] = torch.tensor(target)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def _generation_batch(model: TransducerModel) -> dict[str, torch.Tensor]:
    side = "right" if model.is_seq2seq else "left"
    add_special = model.is_seq2seq
    batch = model.tokenizer(SOURCES, padding=True, padding_side=side, add_special_tokens=add_special, return_tensors="pt")
    return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}


def _randomize(model: TransducerModel) -> None:
    """Stand-in for training: random values for every Transducer weight (the output projection starts at zero)."""
    torch.manual_seed(1)
    for parameter in model.transducer.trainable_state_dict().values():
        nn.init.normal_(parameter, std=0.3)


def test_identity_at_init(tiny_backbone):
    model = _build(*tiny_backbone)
    batch = _training_batch(model)
    output = model(**batch, graph=_graphs(model))
    reference = model.backbone(**batch)
    torch.testing.assert_close(output.logits, reference.logits, atol=0, rtol=0)
    torch.testing.assert_close(output.loss, reference.loss, atol=0, rtol=0)


def test_generate_with_beam_search_matches_backbone_at_init(tiny_backbone):
    model = _build(*tiny_backbone)
    batch = _generation_batch(model)
    options = {"num_beams": 2, "max_new_tokens": 4, "do_sample": False, "pad_token_id": 0}
    generated = model.generate(**batch, graph=_graphs(model), **options)
    reference = model.backbone.generate(**batch, **options)
    if not is_seq2seq(model.backbone):  # decoder-only: only the continuation comes back
        reference = reference[:, batch["input_ids"].shape[1] :]
    assert generated.shape[1] >= 2
    assert torch.equal(generated, reference)


def test_generate_runs_on_the_fused_embeddings(tiny_backbone):
    model = _build(*tiny_backbone)
    _randomize(model)
    batch, graphs = _generation_batch(model), _graphs(model)
    embeds = model.fuse(batch["input_ids"], batch["attention_mask"].bool(), graphs)
    assert not torch.equal(embeds, model.backbone.get_input_embeddings()(batch["input_ids"]))
    calls = []
    first_module = model.backbone.get_encoder() if model.is_seq2seq else model.backbone
    first_module.register_forward_pre_hook(lambda _, args, kwargs: calls.append(kwargs), with_kwargs=True)
    generated = model.generate(**batch, graph=graphs, max_new_tokens=2, do_sample=False)
    assert generated.shape == ((2, 3) if model.is_seq2seq else (2, 2))
    assert torch.equal(calls[0]["inputs_embeds"], embeds)


def test_graph_changes_the_output(tiny_backbone):
    model = _build(*tiny_backbone)
    _randomize(model)
    batch = _training_batch(model)
    logits = model(**batch, graph=_graphs(model, (0, 1))).logits
    other = model(**batch, graph=_graphs(model, (2, 1))).logits
    assert not torch.allclose(logits[0], other[0])
    torch.testing.assert_close(logits[1], other[1])  # sample 1 kept its graph


def test_training_step_updates_only_the_transducer(tiny_backbone):
    model = _build(*tiny_backbone)
    model.train()
    frozen = {name: p.detach().clone() for name, p in model.backbone.named_parameters()}
    trainable = {name: p.detach().clone() for name, p in model.transducer.trainable_state_dict().items()}
    assert all(not p.requires_grad for p in model.backbone.parameters())
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    batch, graphs = _training_batch(model), _graphs(model)
    for _ in range(2):  # the zero-initialized output projection moves first, then everything behind it
        optimizer.zero_grad()
        model(**batch, graph=graphs).loss.backward()
        optimizer.step()
    assert all(torch.equal(p, frozen[name]) for name, p in model.backbone.named_parameters())
    unchanged = [name for name, p in model.transducer.trainable_state_dict().items() if torch.equal(p, trainable[name])]
    assert unchanged == []


def test_decoder_only_fuses_only_the_prompt():
    model = _build(*make_backbone(TINY_GPT2))
    _randomize(model)
    seen = {}
    model.backbone.register_forward_pre_hook(lambda _, args, kwargs: seen.update(kwargs), with_kwargs=True)
    batch = _training_batch(model)
    model(**batch, graph=_graphs(model, (0, 0)))
    raw = model.backbone.get_input_embeddings()(batch["input_ids"])
    changed = (seen["inputs_embeds"] != raw).any(dim=-1)
    prompt = (batch["labels"] == -100) & (batch["attention_mask"] == 1)
    assert torch.equal(changed, prompt)


def test_save_and_load_round_trip(tiny_backbone, tmp_path):
    backbone, tokenizer = tiny_backbone
    model = _build(copy.deepcopy(backbone), tokenizer, node_kind="learned")
    _randomize(model)
    model.save_pretrained(tmp_path)
    meta = json.loads((tmp_path / ADAPTER_CONFIG_NAME).read_text())
    assert meta["method"] == "transducer" and meta["config"]["node_kind"] == "learned"
    assert meta["backbone_fingerprint"] == backbone_fingerprint(backbone.config)
    saved = load_file(str(tmp_path / ADAPTER_WEIGHTS_NAME))
    assert set(saved) == set(model.transducer.trainable_state_dict())
    assert not any("token_embedding" in name for name in saved)

    loaded = TransducerModel.from_pretrained(tmp_path, copy.deepcopy(backbone), tokenizer).eval()
    model.eval()
    batch, graphs = _training_batch(model), _graphs(model)
    assert torch.equal(loaded(**batch, graph=graphs).logits, model(**batch, graph=graphs).logits)
    generation = _generation_batch(model)
    options = {"num_beams": 2, "max_new_tokens": 4}
    expected = model.generate(**generation, graph=graphs, **options)
    assert torch.equal(loaded.generate(**generation, graph=graphs, **options), expected)


def test_wrong_backbone_is_refused(tmp_path):
    backbone, tokenizer = make_backbone(TINY_T5)
    backbone.config.name_or_path = "tiny-t5-a"
    _build(backbone, tokenizer).save_pretrained(tmp_path)
    other, _ = make_backbone({**TINY_T5, "d_model": 48})
    other.config.name_or_path = "tiny-t5-b"
    with pytest.raises(BackboneMismatchError, match="tiny-t5-a.*tiny-t5-b"):
        TransducerModel.from_pretrained(tmp_path, other, tokenizer)


def test_empty_graphs(tiny_backbone):
    model = _build(*tiny_backbone)
    _randomize(model)
    graphs = _graphs(model, (None, None))
    assert torch.isfinite(model(**_training_batch(model), graph=graphs).loss)
    assert model.generate(**_generation_batch(model), graph=graphs, max_new_tokens=3).shape[0] == 2


def test_graph_argument_forms_and_errors(byte_tokenizer):
    model = _build(*make_backbone(TINY_T5))
    _randomize(model)
    batch = _training_batch(model)
    as_list = [model.encode_graph(toy_cpg(0)), model.encode_graph(empty_cpg())]
    torch.testing.assert_close(model(**batch, graph=as_list).logits, model(**batch, graph=Batch.from_data_list(as_list)).logits)
    with pytest.raises(ValueError, match="needs `graph`"):
        model(**batch)
    with pytest.raises(ValueError, match="got 1 graphs for a batch of 2"):
        model(**batch, graph=as_list[0])
    without_graph = _build(*make_backbone(TINY_T5), graph_mode="zero")
    assert torch.isfinite(without_graph(**batch).loss)


def test_print_trainable_parameters(capsys):
    model = _build(*make_backbone(TINY_T5))
    model.print_trainable_parameters()
    printed = capsys.readouterr().out
    trainable, total = model.trainable_parameters()
    assert "fusion.query" in printed and "gve.convs" in printed and f"trainable params: {trainable:,d}" in printed
    assert trainable == sum(model.transducer.parameter_breakdown().values())
    assert total == trainable + sum(p.numel() for p in model.backbone.parameters())


def test_hf_node_encoder_from_a_folder(tmp_path):
    """node_encoder names a Hugging Face encoder (here a local folder): its tokenizer encodes the graphs."""
    torch.manual_seed(0)
    config = BertConfig(vocab_size=384, hidden_size=24, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(tmp_path / "encoder")
    ByT5Tokenizer().save_pretrained(tmp_path / "encoder")
    backbone, tokenizer = make_backbone(TINY_T5)
    model = _build(backbone, tokenizer, node_encoder=str(tmp_path / "encoder"), node_pooling="first")
    assert model.transducer.vectorizer.node_dim == 24
    _randomize(model)
    batch, graphs = _training_batch(model), _graphs(model)
    model.save_pretrained(tmp_path / "adapter")
    assert not any("encoder" in name for name in load_file(str(tmp_path / "adapter" / ADAPTER_WEIGHTS_NAME)))
    loaded = TransducerModel.from_pretrained(tmp_path / "adapter", backbone, tokenizer)
    assert torch.equal(loaded(**batch, graph=graphs).logits, model(**batch, graph=graphs).logits)


def test_extracted_java_graph_end_to_end():
    """A graph from the CPG extractor goes through encode_graph and the model."""
    import cpg

    code = "class A { int f(int x) { if (x > 0) { return x; } return -x; } }"
    graph = cpg.extract(code, "java")
    model = _build(*make_backbone(TINY_T5))
    _randomize(model)
    data = model.encode_graph(graph)
    assert data.num_nodes == graph.num_nodes > 0 and data.edge_index.shape[1] == len(graph.edges)
    batch = model.tokenizer([code], return_tensors="pt")
    output = model(batch["input_ids"], batch["attention_mask"], labels=batch["input_ids"], graph=data)
    assert torch.isfinite(output.loss)


def test_soft_tokens_mode_prepends_graph_tokens_that_carry_the_graph(tiny_backbone):
    # issue 12: the soft_tokens injection mode; the backbone stays untouched, only the graph differs
    model = _build(*tiny_backbone, injection="soft_tokens", num_soft_tokens=3)
    assert model.transducer.fusion is None and model.transducer.soft_tokens is not None
    before = {n: p.clone() for n, p in model.backbone.named_parameters()}
    batch = _training_batch(model)
    embeds = model.fuse(batch["input_ids"], batch["attention_mask"].bool(), _graphs(model, (0, 1)))
    assert embeds.shape[1] == batch["input_ids"].shape[1] + 3
    torch.testing.assert_close(embeds[:, 3:], model.backbone.get_input_embeddings()(batch["input_ids"]))
    output = model(**batch, graph=_graphs(model, (0, 1)))
    other = model(**batch, graph=_graphs(model, (2, 1)))
    assert not torch.allclose(output.logits[0], other.logits[0])
    torch.testing.assert_close(output.logits[1], other.logits[1])  # sample 1 kept its graph
    output.loss.backward()
    assert all(p.grad is not None for p in model.transducer.soft_tokens.parameters())
    assert all(torch.equal(p, before[n]) for n, p in model.backbone.named_parameters())
    generated = model.generate(**_generation_batch(model), graph=_graphs(model), max_new_tokens=2, do_sample=False)
    assert generated.shape == ((2, 3) if model.is_seq2seq else (2, 2))


@pytest.mark.parametrize("overrides", [{"num_soft_tokens": 3, "soft_token_bound": 0.5}, {}], ids=["explicit", "default"])
def test_soft_tokens_stay_within_their_bound(tiny_backbone, overrides):
    """Whatever the weights and the graph, each soft token's norm stays within its bound; the default config (soft
    tokens since transducer v2's design choice) is bounded too."""
    torch.manual_seed(0)
    model = TransducerConfig(dropout=0.0, **overrides).build(*tiny_backbone)
    config = model.config
    assert config.injection == "soft_tokens" and config.soft_token_bound is not None
    _randomize(model)
    with torch.no_grad():
        model.transducer.soft_tokens.output.weight.mul_(1e4)  # training gone wild
    batch = _training_batch(model)
    embeds = model.fuse(batch["input_ids"], batch["attention_mask"].bool(), _graphs(model, (0, 1)))
    mean_norm = model.backbone.get_input_embeddings().weight.norm(dim=1).mean()
    soft = embeds[:, :config.num_soft_tokens].norm(dim=-1)
    assert soft.max() <= config.soft_token_bound * mean_norm * (1 + 1e-5)
    assert soft.max() >= 0.5 * config.soft_token_bound * mean_norm  # the blown-up weights reach the bound


def test_graph_on_top_of_lora_trains_both_and_round_trips(tiny_backbone, tmp_path):
    """backbone_lora_r: LoRA in the backbone's attention trains with the transducer; both are saved and loaded."""
    backbone, tokenizer = tiny_backbone
    model = _build(copy.deepcopy(backbone), tokenizer, backbone_lora_r=2)
    lora = {n for n, p in model.backbone.named_parameters() if p.requires_grad}
    assert lora and all("lora_" in n for n in lora)
    model.train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    frozen = {n: p.detach().clone() for n, p in model.backbone.named_parameters() if not p.requires_grad}
    for _ in range(2):
        optimizer.zero_grad()
        model(**_training_batch(model), graph=_graphs(model)).loss.backward()
        optimizer.step()
    assert all(torch.equal(p, frozen[n]) for n, p in model.backbone.named_parameters() if not p.requires_grad)
    model.save_pretrained(tmp_path)
    saved = load_file(str(tmp_path / ADAPTER_WEIGHTS_NAME))
    assert {n for n in saved if n.startswith("backbone.")} == {f"backbone.{n}" for n in lora}
    loaded = TransducerModel.from_pretrained(tmp_path, copy.deepcopy(backbone), tokenizer).eval()
    model.eval()
    batch, graphs = _training_batch(model), _graphs(model)
    assert torch.equal(loaded(**batch, graph=graphs).logits, model(**batch, graph=graphs).logits)
