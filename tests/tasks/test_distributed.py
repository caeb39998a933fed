"""A 2-process DDP run on CPU (the quickstart model, a few steps) trains the same parameter set and finishes,
extracting the graphs once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from tests.tasks.harness_utils import make_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_two_process_ddp_on_cpu(tmp_path: Path) -> None:
    # 6 examples over 2 ranks with batch 3: one step per epoch on each rank
    trainer = {"val_check_interval": None, "check_val_every_n_epoch": 1}
    config = make_config(tmp_path, "code_summarization", trainer=trainer, data={"test": None})
    command = [
        sys.executable, "-m", "tasks.commands", "fit", "--config", str(config),
        "--trainer.strategy", "ddp", "--trainer.devices", "2", "--trainer.max_steps", "-1", "--trainer.max_epochs", "2",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]

    # prepare_data filled the graph cache on one process; the other rank read it instead of extracting again
    packs = list((tmp_path / "cpg_cache").glob("*.pack"))  # named <time>-<host>-<pid>-<n>.pack
    assert packs and len({pack.name.split("-")[2] for pack in packs}) == 1

    checkpoint = torch.load(tmp_path / "out" / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 2

    from tasks.module import AdaptationModule
    from transducer.backbone import BackboneConfig
    from transducer.config import TransducerConfig
    from tests.tasks.harness_utils import TINY_T5

    single = AdaptationModule(BackboneConfig(config=TINY_T5, tokenizer="byte"), TransducerConfig())
    expected = {f"adapted_model.{n}" for n, p in single.adapted_model.named_parameters() if p.requires_grad}
    assert set(checkpoint["state_dict"]) == expected
