"""The harness Trainer and CLI resolve ``precision: auto`` by hardware."""

from __future__ import annotations

from pathlib import Path

import pytest

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
