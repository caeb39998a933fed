"""Every method trains with the backbone's dropout on, also for a backbone loaded from a folder (which
``from_pretrained`` returns in eval mode), and backbones stored in bf16 load in the requested dtype."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
from torch import nn

from tasks import AdaptationModule, CodeTaskDataModule
from tests.tasks.harness_utils import TASK_EXAMPLES, TINY_T5, write_jsonl
from transducer.backbone import BackboneConfig, load_backbone
from transducer.methods import method_config


class DropoutModes(pl.Callback):
    """Records, at every training batch, how many of the module's dropout layers are in train mode."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int) -> None:
        dropouts = [m for m in pl_module.adapted_model.backbone.modules() if isinstance(m, nn.Dropout)]
        self.seen.append((sum(m.training for m in dropouts), len(dropouts)))


@pytest.fixture(scope="module")
def pretrained_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-t5")
    model, _ = load_backbone(config={**TINY_T5, "dropout_rate": 0.1}, tokenizer="byte")
    model.to(torch.bfloat16).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("method", ["full_finetune", "layer_freezing", "lora", "prompt_tuning", "transducer"])
def test_every_method_trains_a_folder_backbone_with_dropout_on(tmp_path: Path, pretrained_folder: Path, method: str) -> None:
    pairs = TASK_EXAMPLES["code_summarization"]
    data = CodeTaskDataModule(
        "code_summarization", train=str(write_jsonl(tmp_path / "train.jsonl", pairs)),
        validation=str(write_jsonl(tmp_path / "valid.jsonl", pairs[:2])), batch_size=3,
        cpg_cache_dir=str(tmp_path / "cache"), extraction_workers=1,
    )
    module = AdaptationModule(BackboneConfig(name_or_path=str(pretrained_folder), tokenizer="byte"), method_config(method),
                              generation=None)
    assert not module.adapted_model.backbone.training  # as from_pretrained returns it
    modes = DropoutModes()
    trainer = pl.Trainer(max_steps=2, val_check_interval=1, num_sanity_val_steps=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=[modes], accelerator="cpu")
    trainer.fit(module, data)
    assert len(modes.seen) == 2
    for active, total in modes.seen:  # the second batch follows a validation run, which switches to eval and back
        assert total > 0 and active == total


def test_bf16_folder_loads_in_float32_by_default(pretrained_folder: Path) -> None:
    model, _ = BackboneConfig(name_or_path=str(pretrained_folder), tokenizer="byte").load()
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    model, _ = BackboneConfig(name_or_path=str(pretrained_folder), tokenizer="byte", dtype="bfloat16").load()
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    with pytest.raises(ValueError, match="dtype must be one of"):
        BackboneConfig(name_or_path=str(pretrained_folder), tokenizer="byte", dtype="fp8").load()
