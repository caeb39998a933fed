"""The harness Trainer and CLI resolve ``precision: auto`` by hardware."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import transducer.precision as precision_module
from tasks.trainer import Trainer
from tests.tasks.harness_utils import make_config, run_cli

AVX2_ONLY = frozenset({"fpu", "avx2", "fma"})
WITH_AMX = frozenset({"fpu", "avx2", "amx_bf16"})


@pytest.mark.parametrize("flags, expected", [(AVX2_ONLY, "32-true"), (WITH_AMX, "bf16-mixed")])
def test_trainer_auto_precision_follows_the_cpu_flags(monkeypatch: pytest.MonkeyPatch, flags: frozenset[str],
                                                      expected: str) -> None:
    monkeypatch.setattr(precision_module, "cpu_flags", lambda *_: flags)
    trainer = Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False)
    assert trainer.precision == expected


@pytest.mark.parametrize("flags, expected", [(AVX2_ONLY, "32-true"), (WITH_AMX, "bf16-mixed")])
def test_cli_resolves_auto_precision_and_says_why(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path, flags: frozenset[str], expected: str) -> None:
    monkeypatch.setattr(precision_module, "cpu_flags", lambda *_: flags)
    config = make_config(tmp_path, "code_translation", trainer={"precision": "auto", "max_steps": 1},
                         data={"validation": None, "test": None})
    cli = run_cli("fit", "--config", str(config))
    assert cli.trainer.precision == expected
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("precision:")]
    assert lines == [f"precision: {expected} (auto: {precision_module.native_bf16('cpu', flags)[1]})"]


def test_trainer_without_a_logger_logs_to_csv_under_its_root_as_the_cli_does(tmp_path: Path) -> None:
    from lightning.pytorch.loggers import CSVLogger

    trainer = Trainer(accelerator="cpu", devices=1, default_root_dir=str(tmp_path), enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False)
    assert isinstance(trainer.logger, CSVLogger) and Path(trainer.logger.log_dir).parent == tmp_path / "run"
    assert Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False).logger is None


def test_fit_without_validation_data_runs_no_validation_loop(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    config = make_config(tmp_path, "code_translation", trainer={"max_steps": 1}, data={"validation": None, "test": None})
    cli = run_cli("fit", "--config", str(config))
    assert cli.trainer.global_step == 1 and cli.trainer.limit_val_batches == 0
    assert not [w for w in recwarn if "across ranks is zero" in str(w.message)]  # no empty validation loader asked for


def test_generation_moves_the_progress_bar_within_a_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each decoding step reaches the running evaluation bar, whose description then says which token it is on."""
    from tasks.progress import GenerationProgressBar, generation_progress

    trainer = Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False)
    bar = trainer.progress_bar_callback
    assert isinstance(bar, GenerationProgressBar)
    steps: list[tuple[int, int]] = []
    monkeypatch.setattr(bar, "show_generation_step", lambda step, budget: steps.append((step, budget)))
    (reporter,) = generation_progress(trainer, budget=5)
    ids = torch.zeros(6, 3, dtype=torch.long)  # batch 3 x beams 2
    for _ in range(3):
        assert not reporter(ids, torch.zeros(6, 10)).any()  # never stops generation
    assert steps == [(1, 5), (2, 5), (3, 5)]
    assert generation_progress(Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False), 5) == []


def test_the_running_test_bar_shows_the_decoding_step(tmp_path: Path) -> None:
    from tasks.progress import GenerationProgressBar

    bar = GenerationProgressBar()
    trainer = Trainer(accelerator="cpu", devices=1, logger=False, callbacks=[bar], default_root_dir=str(tmp_path))
    from lightning.pytorch.trainer.states import RunningStage, TrainerFn

    bar._trainer = trainer  # what Lightning's setup does
    bar._init_progress(trainer)
    trainer.state.fn, trainer.state.stage = TrainerFn.TESTING, RunningStage.TESTING
    bar.test_progress_bar_id = bar._add_task(4, bar.test_description)
    bar.show_generation_step(37, 300)
    assert bar.progress.tasks[bar.test_progress_bar_id].description.endswith("Testing · generating token 37/300")
    bar.progress.stop()
