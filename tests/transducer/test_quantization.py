"""Quantized frozen backbones: int8 weight-only (torchao) tested on CPU; bitsandbytes modes refused without CUDA;
qlora needs a quantized backbone; methods that would train quantized weights are refused."""

from __future__ import annotations

import pytest
import torch

from tests.transducer.methods.tiny import TINY_CONFIGS, training_batch, with_graphs
from transducer.backbone import load_backbone
from transducer.methods import build_method
from transducer.quantization import check_trainable_not_quantized, is_quantized_parameter

pytest.importorskip("torchao")


#: a decoder-only architecture built from nn.Linear (GPT-2's Conv1D layers are not quantized: see below)
TINY_LLAMA = {"model_type": "llama", "vocab_size": 384, "hidden_size": 32, "intermediate_size": 64,
              "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
              "max_position_embeddings": 128, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 1}
CONFIGS = {"t5": TINY_CONFIGS["t5"], "llama": TINY_LLAMA, "gpt2": TINY_CONFIGS["gpt2"]}


def _backbone(family: str, quantization: str | None):
    torch.manual_seed(0)
    return load_backbone(config=CONFIGS[family], tokenizer="byte", quantization=quantization)


def _loss(model, family: str) -> torch.Tensor:
    model.train()
    torch.manual_seed(1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        return model(**with_graphs(model, training_batch(family))).loss


@pytest.mark.parametrize("family", ["t5", "llama"])
@pytest.mark.parametrize("method", ["transducer", "qlora"])
def test_frozen_methods_train_on_an_int8_backbone(family: str, method: str) -> None:
    backbone, tokenizer = _backbone(family, "int8")
    assert any(is_quantized_parameter(p) for p in backbone.parameters())
    assert not is_quantized_parameter(backbone.get_input_embeddings().weight)
    model = build_method(method, backbone, tokenizer)
    check_trainable_not_quantized(model, method)
    loss = _loss(model, "t5" if family == "t5" else "gpt2")  # the decoder-only batch shape
    loss.backward()
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert trainable and all(p.grad is not None and p.grad.isfinite().all() for p in trainable)
    reference_backbone, tokenizer = _backbone(family, None)
    reference = _loss(build_method("lora" if method == "qlora" else method, reference_backbone, tokenizer),
                      "t5" if family == "t5" else "gpt2")
    assert loss.item() == pytest.approx(reference.item(), rel=0.05)  # int8 weights: close to the fp32 model


def test_qlora_needs_a_quantized_backbone_and_full_finetuning_is_refused_on_one() -> None:
    with pytest.raises(ValueError, match="qlora' needs a quantized backbone"):
        build_method("qlora", *_backbone("t5", None))
    model = build_method("full_finetune", *_backbone("t5", "int8"))
    with pytest.raises(ValueError, match="trains backbone weights .* quantization stores as integers"):
        check_trainable_not_quantized(model, "full_finetune")


def test_int8_refuses_a_backbone_without_linear_layers() -> None:
    with pytest.raises(ValueError, match="Conv1D"):
        _backbone("gpt2", "int8")


def test_bitsandbytes_modes_say_what_they_need() -> None:
    with pytest.raises(ValueError, match="name_or_path"):
        load_backbone(config=TINY_CONFIGS["t5"], tokenizer="byte", quantization="nf4")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="needs a CUDA GPU"):
            load_backbone("models/code-t5-mini", quantization="nf4")
    with pytest.raises(ValueError, match="must be one of"):
        load_backbone(config=TINY_CONFIGS["t5"], tokenizer="byte", quantization="int4")
