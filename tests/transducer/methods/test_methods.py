"""Every method: trains exactly what it says, saves/loads its weights, generates, and refuses what it cannot do."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest
import torch

from tests.transducer.methods.tiny import TINY_CONFIGS, generation_batch, training_batch, with_graphs
from transducer.backbone import load_backbone, weights_fingerprint
from transducer.methods import (
    METHODS,
    PRESETS,
    BackboneMismatchError,
    LayerFreezingConfig,
    LinearAdapterConfig,
    build_method,
    load_adapted_model,
    method_config,
    register_preset,
)
from transducer.adaptation import ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME

FAMILIES = ("t5", "gpt2")

#: small hyperparameters so the tiny backbones stay tiny
OPTIONS: dict[str, dict] = {
    "prompt_tuning": {"num_virtual_tokens": 4},
    "prefix_tuning": {"num_virtual_tokens": 3},
    "layer_freezing": {"top_k": 1},
    "transducer": {"bottleneck_dim": 8, "gnn_heads": 2, "graph_dim": 8, "attention_dim": 8},
    "transducer_no_graph": {"graph_dim": 8, "attention_dim": 8},
    "transducer_soft_tokens": {"bottleneck_dim": 8, "gnn_heads": 2, "graph_dim": 8, "attention_dim": 8,
                               "num_soft_tokens": 3},
    "transducer_prefix": {"bottleneck_dim": 8, "gnn_heads": 2, "graph_dim": 8, "attention_dim": 8,
                          "num_prefix_tokens": 3, "prefix_rank": 4},
}

_TOP_BLOCK = {
    "t5": r"model\.(encoder|decoder)\.(block\.1\.|final_layer_norm\.)",
    "gpt2": r"model\.transformer\.(h\.1\.|ln_f\.)",
}

#: method -> (family -> whether a trainable parameter name belongs to the method's trainable set)
TRAINABLE: dict[str, Callable[[str, str], bool]] = {
    "full_finetune": lambda family, name: True,
    "lora": lambda family, name: "lora_" in name,
    "ia3": lambda family, name: "ia3_" in name,
    "prompt_tuning": lambda family, name: ".prompt_encoder." in name,
    "prefix_tuning": lambda family, name: ".prompt_encoder." in name,
    "linear_adapter": lambda family, name: name == "linear.weight",
    "layer_freezing": lambda family, name: re.match(_TOP_BLOCK[family], name) is not None,
    # the default injection, soft tokens: the GVE and the soft-token reader, no fusion
    "transducer": lambda family, name: name.startswith("transducer.") and ".fusion." not in name,
    "transducer_no_graph": lambda family, name: name.startswith("transducer.fusion."),
    "transducer_prefix": lambda family, name: name.startswith(("transducer.gve.", "transducer.prefix.")),
    "frozen_decoder": lambda family, name: re.match(
        r"model\.(encoder\.(block\.\d+\.|final_layer_norm\.)|decoder\.block\.\d+\.layer\.1\.)", name) is not None,
}

UNTRAINED_METHODS = ("no_finetune", "icl")  # icl only changes the prompts (tests/tasks/test_icl.py)
#: qlora is LoRA on a quantized backbone: tests/transducer/test_quantization.py
#: and the transducer's variants, presets of ``transducer`` with their own trainable sets
GENERIC_METHODS = [*(name for name in METHODS if name != "qlora"), "transducer_no_graph", "transducer_prefix"]
TRAINED_METHODS = [name for name in GENERIC_METHODS if name not in UNTRAINED_METHODS]
#: methods that need an encoder-decoder backbone
SEQ2SEQ_ONLY = {"frozen_decoder"}


def combinations(methods: list[str]) -> list[tuple[str, str]]:
    """(method, family) pairs the method supports."""
    return [(m, f) for m in methods for f in FAMILIES if not (m in SEQ2SEQ_ONLY and f != "t5")]


def build(fresh, method: str, family: str):
    backbone, tokenizer = fresh(family)
    torch.manual_seed(0)
    return build_method(method, backbone, tokenizer, **OPTIONS.get(method, {}))


def train_steps(model, steps: int = 1) -> torch.Tensor:
    """``steps`` AdamW steps on the tiny batch; returns the last loss."""
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    batch = with_graphs(model, training_batch(model_family(model)))
    for _ in range(steps):
        optimizer.zero_grad()
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
    return loss.detach()


def model_family(model) -> str:
    return model.backbone.config.model_type


def snapshot(model) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize(("method", "family"), combinations(TRAINED_METHODS))
def test_one_step_trains_exactly_the_method_parameters(fresh, method: str, family: str) -> None:
    model = build(fresh, method, family)
    before = snapshot(model)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable, "the method trains nothing"
    assert all(TRAINABLE[method](family, name) for name in trainable), sorted(trainable)
    if method == "full_finetune":
        assert trainable == set(before)
    if method == "layer_freezing":  # every parameter of the top blocks, none elsewhere
        assert trainable == {name for name in before if TRAINABLE[method](family, name)}

    # two steps: zero-initialised output layers (LoRA's B, the transducer's fusion output) pass no gradient to the
    # layers before them in the first step
    loss = train_steps(model, steps=2)

    assert torch.isfinite(loss)
    for name, p in model.named_parameters():
        if name in trainable:
            assert not torch.equal(p, before[name]), f"{name} did not change"
        else:
            assert torch.equal(p, before[name]), f"frozen {name} changed"
    assert model.trainable_parameters()[0] == sum(p.numel() for n, p in model.named_parameters() if n in trainable)


@pytest.mark.parametrize("method", UNTRAINED_METHODS)
@pytest.mark.parametrize("family", FAMILIES)
def test_untrained_methods_train_nothing_and_save_no_weights(fresh, family: str, method: str, tmp_path) -> None:
    model = build(fresh, method, family)
    assert model.trainable_parameters()[0] == 0
    assert torch.isfinite(model(**training_batch(family)).loss)
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / ADAPTER_CONFIG_NAME).read_text())
    assert saved["method"] == PRESETS.get(method, (method,))[0]  # a preset saves as its method
    reloaded = load_adapted_model(tmp_path, *fresh(family))
    assert reloaded.trainable_parameters()[0] == 0


def test_linear_adapter_is_square_and_starts_as_the_identity(fresh) -> None:
    backbone, tokenizer = fresh("t5")
    backbone.eval()
    reference = backbone(**training_batch("t5")).logits
    model = build_method("linear_adapter", backbone, tokenizer).eval()
    assert model.trainable_parameters()[0] == 32 * 32
    torch.testing.assert_close(model(**training_batch("t5")).logits, reference)


@pytest.mark.parametrize(("method", "family"), combinations(GENERIC_METHODS))
def test_save_load_round_trip_reproduces_outputs(fresh, method: str, family: str, tmp_path) -> None:
    model = build(fresh, method, family)
    if method not in UNTRAINED_METHODS:
        train_steps(model)
    model.eval()
    batch = with_graphs(model, training_batch(family))
    with torch.no_grad():
        expected = model(**batch).logits
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME])
    saved = json.loads((tmp_path / ADAPTER_CONFIG_NAME).read_text())
    assert saved["method"] == PRESETS.get(method, (method,))[0]  # a preset saves as its method

    backbone, tokenizer = fresh(family)  # the untrained backbone
    reloaded = load_adapted_model(tmp_path, backbone, tokenizer).eval()
    assert type(reloaded) is type(model)
    assert reloaded.trainable_parameters() == model.trainable_parameters()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**batch).logits, expected, rtol=0, atol=0)


@pytest.mark.parametrize("method", ["lora", "full_finetune"])
def test_loading_onto_another_backbone_architecture_is_refused(fresh, method: str, tmp_path) -> None:
    build(fresh, method, "t5").save_pretrained(tmp_path)
    other, tokenizer = load_backbone(config={**TINY_CONFIGS["t5"], "d_ff": 48}, tokenizer="byte")
    with pytest.raises(BackboneMismatchError, match="fingerprint"):
        load_adapted_model(tmp_path, other, tokenizer)


@pytest.mark.parametrize(("method", "family"), combinations(GENERIC_METHODS))
def test_beam_search_returns_only_the_new_tokens(fresh, method: str, family: str) -> None:
    model = build(fresh, method, family).eval()
    batch = with_graphs(model, generation_batch())
    output = model.generate(**batch, num_beams=2, max_new_tokens=3, min_new_tokens=3)
    # seq2seq output starts with the decoder start token; decoder-only output is the continuation only
    assert output.shape == (2, 4 if family == "t5" else 3)
    assert output.dtype == torch.long


def test_peft_method_without_default_targets_for_the_architecture_says_so() -> None:
    codegen = {"model_type": "codegen", "vocab_size": 384, "n_embd": 32, "n_layer": 1, "n_head": 2, "rotary_dim": 8}
    backbone, tokenizer = load_backbone(config=codegen, tokenizer="byte")
    with pytest.raises(ValueError, match=r"'ia3' cannot be applied to a 'codegen' backbone.*target_modules"):
        build_method("ia3", backbone, tokenizer)
    model = build_method("ia3", backbone, tokenizer, target_modules=["qkv_proj", "fc_out"], feedforward_modules=["fc_out"])
    assert model.trainable_parameters()[0] > 0


def test_layer_freezing_refuses_unknown_architectures_and_bad_k(fresh) -> None:
    opt = {"model_type": "opt", "vocab_size": 384, "hidden_size": 32, "ffn_dim": 64, "num_hidden_layers": 1,
           "num_attention_heads": 2, "word_embed_proj_dim": 32}  # fmt: skip
    backbone, tokenizer = load_backbone(config=opt, tokenizer="byte")
    with pytest.raises(ValueError, match="does not know where the transformer blocks of a 'opt' backbone are"):
        LayerFreezingConfig().build(backbone, tokenizer)
    with pytest.raises(ValueError, match="the 't5' backbone has 2"):
        LayerFreezingConfig(top_k=3).build(*fresh("t5"))
    with pytest.raises(ValueError, match="decoder-only"):
        LayerFreezingConfig(top_k_encoder=1).build(*fresh("gpt2"))


def test_layer_freezing_per_stack_counts(fresh) -> None:
    model = LayerFreezingConfig(top_k_encoder=0, top_k_decoder=2, train_final_layer_norm=False).build(*fresh("t5"))
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(name.startswith("model.decoder.block.") for name in trainable)


def test_unknown_method_lists_the_available_ones() -> None:
    with pytest.raises(ValueError, match="unknown adaptation method 'adapterfusion'; available: .*lora"):
        method_config("adapterfusion")


@pytest.mark.parametrize("method", ["lora", "full_finetune", "transducer"])
def test_loading_onto_other_weights_of_the_same_architecture_is_refused(method: str, tmp_path) -> None:
    def backbone(seed: int):
        torch.manual_seed(seed)
        return load_backbone(config=TINY_CONFIGS["t5"], tokenizer="byte")

    trained_on, tokenizer = backbone(0)
    model = build_method(method, trained_on, tokenizer, **OPTIONS.get(method, {}))
    train_steps(model)  # full fine-tuning changes the backbone: the adapter still names the weights it started from
    model.save_pretrained(tmp_path)
    recorded = json.loads((tmp_path / ADAPTER_CONFIG_NAME).read_text())["backbone_weights"]

    load_adapted_model(tmp_path, backbone(0)[0], tokenizer)  # the same pretrained weights: accepted
    other = backbone(1)[0]
    with pytest.raises(BackboneMismatchError, match=r"same architecture, other weights.*allow_other_backbone_weights") as error:
        load_adapted_model(tmp_path, other, tokenizer)
    assert recorded in str(error.value) and weights_fingerprint(other) in str(error.value)
    load_adapted_model(tmp_path, other, tokenizer, check_weights=False)  # allowed on purpose


def test_weights_digest_is_the_same_in_fp32_and_bf16() -> None:
    torch.manual_seed(0)
    model, _ = load_backbone(config=TINY_CONFIGS["t5"], tokenizer="byte")
    digest = weights_fingerprint(model)
    assert weights_fingerprint(model.to(torch.bfloat16)) == digest
    with torch.no_grad():
        next(model.parameters()).view(-1)[0] += 1.0
    assert weights_fingerprint(model) != digest


def test_frozen_decoder_is_for_encoder_decoder_backbones(fresh) -> None:
    backbone, tokenizer = fresh("gpt2")
    with pytest.raises(ValueError, match="frozen_decoder needs an encoder-decoder backbone; 'gpt2' is decoder-only"):
        build_method("frozen_decoder", backbone, tokenizer)
    backbone, tokenizer = fresh("t5")
    model = build_method("frozen_decoder", backbone, tokenizer, train_embeddings=True)
    assert model.model.shared.weight.requires_grad and not model.model.decoder.block[0].layer[0].SelfAttention.q.weight.requires_grad


def test_layer_freezing_telly_k_freezes_the_bottom_blocks(fresh) -> None:
    def trained(**options) -> set[str]:
        backbone, tokenizer = fresh("t5")
        model = build_method("layer_freezing", backbone, tokenizer, **options)
        return {name.split(".weight")[0] for name, p in model.named_parameters() if p.requires_grad}

    one = trained(frozen_bottom_layers=1, top_k=0)  # K=1 of 2 blocks: block 1 of each stack trains, top_k ignored
    assert {n.split(".layer.")[0] for n in one if ".block." in n} == {"model.encoder.block.1", "model.decoder.block.1"}
    assert not any("shared" in n for n in one)
    none = trained(frozen_bottom_layers=0, train_embeddings=True)  # K=0 with embeddings: the whole backbone
    assert any(".block.0." in n for n in none) and "model.shared" in none
    with pytest.raises(ValueError, match="cannot freeze the bottom 3 encoder blocks"):
        trained(frozen_bottom_layers=3)


@pytest.mark.parametrize(("method", "family"), combinations(TRAINED_METHODS))
def test_generation_uses_what_training_trains(fresh, method: str, family: str) -> None:
    """Greedy generation's first token is the argmax of the training forward pass, with every trainable weight
    moved away from its start (peft's own ``generate`` once dropped prefix tuning's prefix: its output equalled
    the frozen model's)."""
    model = build(fresh, method, family).eval()
    torch.manual_seed(3)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.add_(torch.randn_like(parameter) * 0.5)
    input_ids = torch.randint(3, 300, (2, 6), generator=torch.Generator().manual_seed(4))
    batch = with_graphs(model, {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)})
    with torch.no_grad():
        if family == "t5":  # labels of one token: the decoder sees only its start token
            logits = model(**batch, labels=torch.zeros((2, 1), dtype=torch.long)).logits[:, 0]
            first = model.generate(**batch, max_new_tokens=1, do_sample=False)[:, 1]
        else:
            logits = model(**batch).logits[:, -1]
            first = model.generate(**batch, max_new_tokens=1, do_sample=False)[:, 0]
    assert torch.equal(first, logits.argmax(-1))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_is_its_method_with_its_options(preset: str) -> None:
    method, options = PRESETS[preset]
    config = method_config(preset)
    assert type(config) is METHODS[method]
    assert all(getattr(config, name) == value for name, value in options.items())
    assert method_config(preset, dropout=0.0).dropout == 0.0  # further options still apply


def test_a_preset_round_trips_through_save_and_load(fresh, tmp_path) -> None:
    backbone, tokenizer = fresh("t5")
    torch.manual_seed(0)
    model = method_config("lora_transducer", **OPTIONS["transducer"]).build(backbone, tokenizer)
    train_steps(model)
    model.save_pretrained(tmp_path)
    reloaded = load_adapted_model(tmp_path, fresh("t5")[0], tokenizer).eval()
    assert reloaded.config.backbone_lora_r == 8
    batch = with_graphs(model, training_batch("t5"))
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**batch).logits, model.eval()(**batch).logits, rtol=0, atol=0)


def test_register_preset_refuses_taken_names_and_bad_options() -> None:
    with pytest.raises(ValueError, match="already taken"):
        register_preset("lora", "ia3")
    with pytest.raises(TypeError, match="no_such_option"):
        register_preset("lora_bad", "lora", no_such_option=1)
    assert "lora_bad" not in PRESETS


@dataclass
class ScaledIdentityConfig(LinearAdapterConfig):
    """A method defined outside transducer-tuning (here, in a test module), registered nowhere."""

    method_name: ClassVar[str] = "test_scaled_identity"


def test_an_adapter_of_a_method_defined_elsewhere_loads_by_its_recorded_config_class(fresh, tmp_path) -> None:
    backbone, tokenizer = fresh("t5")
    model = ScaledIdentityConfig().build(backbone, tokenizer)
    train_steps(model)
    model.save_pretrained(tmp_path)
    meta = json.loads((tmp_path / ADAPTER_CONFIG_NAME).read_text())
    assert meta["config_class"] == f"{__name__}.ScaledIdentityConfig"
    reloaded = load_adapted_model(tmp_path, fresh("t5")[0], tokenizer).eval()
    assert type(reloaded.config) is ScaledIdentityConfig
    batch = training_batch("t5")
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**batch).logits, model.eval()(**batch).logits, rtol=0, atol=0)


def test_an_adapter_saved_without_its_config_class_loads_by_method_name(fresh, tmp_path) -> None:
    """Adapters written before ``config_class`` was recorded name only their method."""
    backbone, tokenizer = fresh("t5")
    method_config("lora").build(backbone, tokenizer).save_pretrained(tmp_path)
    path = tmp_path / ADAPTER_CONFIG_NAME
    meta = json.loads(path.read_text())
    del meta["config_class"]
    path.write_text(json.dumps(meta))
    assert type(load_adapted_model(tmp_path, fresh("t5")[0], tokenizer).config) is METHODS["lora"]


def test_a_model_class_refuses_an_adapter_that_builds_another_model(fresh, tmp_path) -> None:
    from transducer.model import TransducerModel

    backbone, tokenizer = fresh("t5")
    method_config("lora").build(backbone, tokenizer).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="holds a 'lora' adapter, which builds a PeftAdaptedModel, not a TransducerModel"):
        TransducerModel.from_pretrained(tmp_path, fresh("t5")[0], tokenizer)
