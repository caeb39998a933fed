"""Memory levers for frozen backbones: frozen weights in bf16 (trainable ones stay fp32) and gradient
checkpointing, on every kind of method, seq2seq and decoder-only."""

from __future__ import annotations

import pytest
import torch
import yaml

from tests.tasks.harness_utils import make_config, run_cli
from tests.transducer.methods.tiny import TINY_CONFIGS, training_batch, with_graphs
from transducer.backbone import load_backbone
from transducer.memory import MemoryLevers, apply_memory_levers
from transducer.methods import build_method


def _build(family: str, method: str, levers: MemoryLevers):
    torch.manual_seed(0)
    backbone, tokenizer = load_backbone(config=TINY_CONFIGS[family], tokenizer="byte")
    model = build_method(method, backbone, tokenizer)
    apply_memory_levers(model, backbone, levers)
    return model


def _loss_and_grads(model, family: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    model.train()
    torch.manual_seed(1)
    batch = with_graphs(model, training_batch(family))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = model(**batch).loss
    loss.backward()
    return loss.detach(), {n: p.grad for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("family", ["t5", "gpt2"])
@pytest.mark.parametrize("method", ["transducer", "lora", "prompt_tuning"])
def test_frozen_weights_in_bf16_train_fp32_adapters(family: str, method: str) -> None:
    model = _build(family, method, MemoryLevers(frozen_dtype="bfloat16"))
    frozen = [p for p in model.parameters() if not p.requires_grad]
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert frozen and all(p.dtype == torch.bfloat16 for p in frozen)
    assert trainable and all(p.dtype == torch.float32 for p in trainable)  # and so is AdamW's state
    loss, grads = _loss_and_grads(model, family)
    reference, _ = _loss_and_grads(_build(family, method, MemoryLevers()), family)
    assert loss.isfinite() and loss.item() == pytest.approx(reference.item(), rel=0.05)
    assert all(g is not None and g.dtype == torch.float32 and g.isfinite().all() for g in grads.values())


@pytest.mark.parametrize("family", ["t5", "gpt2"])
@pytest.mark.parametrize("method", ["transducer", "lora"])
def test_gradient_checkpointing_gives_the_same_loss_and_gradients(family: str, method: str) -> None:
    plain_loss, plain_grads = _loss_and_grads(_build(family, method, MemoryLevers()), family)
    loss, grads = _loss_and_grads(_build(family, method, MemoryLevers(gradient_checkpointing=True)), family)
    assert loss.item() == pytest.approx(plain_loss.item(), abs=1e-5)
    assert grads.keys() == plain_grads.keys()
    assert all(torch.allclose(grads[k], plain_grads[k], atol=1e-5) for k in grads)


def test_the_harness_trains_with_both_levers_and_refuses_full_precision(tmp_path) -> None:
    config = make_config(tmp_path, "code_summarization", trainer={"precision": "bf16-mixed"})
    data = yaml.safe_load(config.read_text())
    data["model"]["backbone"].update(frozen_dtype="bfloat16", gradient_checkpointing=True)
    config.write_text(yaml.safe_dump(data))
    cli = run_cli("fit", "--config", str(config), "--test_after_fit", "false")
    backbone = cli.model.adapted_model.backbone
    assert all(p.dtype == torch.bfloat16 for p in backbone.parameters()) and backbone.is_gradient_checkpointing
    assert cli.trainer.global_step == 2

    with pytest.raises(ValueError, match="needs mixed precision .*trainer.precision: bf16-mixed"):
        run_cli("fit", "--config", str(config), "--trainer.precision", "32", "--test_after_fit", "false")
    with pytest.raises(ValueError, match="frozen_dtype must be"):
        MemoryLevers(frozen_dtype="int8")
