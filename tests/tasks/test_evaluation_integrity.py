"""Evaluation never sees the target, and resuming from `last` continues exactly."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tasks.harness_utils import TINY_T5, make_config, read_jsonl, run_cli


REPO_ROOT = Path(__file__).resolve().parents[2]


def _latest_run(root: Path) -> Path:
    return sorted((root / "run").glob("version_*"), key=lambda p: int(p.name.split("_")[1]))[-1]


def test_predictions_do_not_change_when_every_gold_target_changes(tmp_path: Path) -> None:
    # the shipped pretrained backbone, so that predictions are real text that differs between inputs (a tiny random
    # model decodes mostly special tokens: empty predictions, which would make the comparison below vacuous)
    config = make_config(tmp_path, "code_translation")
    values = yaml.safe_load(config.read_text())
    values["model"]["backbone"] = {"name_or_path": str(REPO_ROOT / "models" / "code-t5-mini")}
    config.write_text(yaml.safe_dump(values))
    run_cli("fit", "--config", str(config), "--test_after_fit", "false")
    adapter = _latest_run(tmp_path / "out") / "adapter"

    def test_predictions(test_file: Path) -> list[str]:
        run_cli("test", "--config", str(config), "--model.adapter", str(adapter), "--data.test", str(test_file))
        return [r["prediction"] for r in read_jsonl(_latest_run(tmp_path / "out") / "predictions_test.jsonl")]

    original = tmp_path / "test.jsonl"
    altered = tmp_path / "test_altered_targets.jsonl"
    records = read_jsonl(original)
    with altered.open("w") as handle:
        for record in records:
            handle.write(json.dumps({**record, "target": "XX " + record["target"][::-1]}) + "\n")
    predictions = test_predictions(original)
    # the comparison below proves something only if there is something to compare: real, differing outputs
    assert all(p.strip() for p in predictions) and len(set(predictions)) > 1, predictions
    assert predictions == test_predictions(altered)


def test_generation_inputs_hold_only_the_source() -> None:
    from tasks.collate import Collator, Sample
    from transducer.backbone import load_tokenizer

    tokenizer = load_tokenizer("byte")
    for seq2seq in (True, False):
        collate = Collator(tokenizer, seq2seq=seq2seq, max_source_length=64, max_target_length=32)
        a = collate([Sample("0", "int f() { return 1; }", "returns one"), Sample("1", "void g() {}", "does nothing")])
        b = collate([Sample("0", "int f() { return 1; }", "something else entirely"), Sample("1", "void g() {}", "x")])
        assert a["generation_input_ids"].equal(b["generation_input_ids"])
        assert a["generation_attention_mask"].equal(b["generation_attention_mask"])
        assert not a["labels"].equal(b["labels"]) if seq2seq else a["labels"].shape != b["labels"].shape


def _train_losses(run: Path) -> dict[int, float]:
    with (run / "metrics.csv").open() as handle:
        return {int(row["step"]): float(row["train_loss"]) for row in csv.DictReader(handle) if row.get("train_loss")}


def test_resume_from_last_continues_exactly_with_dropout_in_the_same_run_folder(tmp_path: Path) -> None:
    # 6 training examples, batch 3: 2 steps per epoch; checkpoints at the end of each epoch. Dropout is on, so the
    # resumed sitting matches only if its dropout masks are the ones the uninterrupted run drew.
    backbone = {**TINY_T5, "dropout_rate": 0.3}
    trainer = {"log_every_n_steps": 1, "val_check_interval": None, "check_val_every_n_epoch": 1}
    (tmp_path / "a").mkdir()
    uninterrupted = make_config(tmp_path / "a", "code_summarization", backbone=backbone, trainer={**trainer, "max_steps": 6})
    run_cli("fit", "--config", str(uninterrupted), "--test_after_fit", "false")
    expected = _train_losses(_latest_run(tmp_path / "a" / "out"))
    assert len(expected) == 6

    (tmp_path / "b").mkdir()
    interrupted = make_config(tmp_path / "b", "code_summarization", backbone=backbone, trainer={**trainer, "max_steps": 2})
    run_cli("fit", "--config", str(interrupted), "--test_after_fit", "false")
    config = yaml.safe_load(interrupted.read_text())
    config["trainer"]["max_steps"] = 6
    interrupted.write_text(yaml.safe_dump(config))
    run_cli("fit", "--config", str(interrupted), "--ckpt_path", "last", "--test_after_fit", "false", "--seed_everything", "7")

    runs = list((tmp_path / "b" / "out" / "run").glob("version_*"))
    assert len(runs) == 1  # the resumed sitting continued the first sitting's folder
    resumed = _train_losses(runs[0])
    assert sorted(resumed) == sorted(expected)  # one curve over every step, none twice
    assert [resumed[k] for k in sorted(resumed)] == pytest.approx([expected[k] for k in sorted(expected)], abs=1e-6)
    assert (runs[0] / "loss_curve.png").is_file()


@pytest.mark.parametrize("mixed_precision", [True, False])
def test_generation_precision_follows_the_setting(tmp_path: Path, mixed_precision: bool) -> None:
    import lightning.pytorch as pl
    import torch

    from tasks import AdaptationModule, CodeTaskDataModule
    from tasks.module import GenerationSettings
    from tests.tasks.harness_utils import TASK_EXAMPLES, TINY_T5, write_jsonl
    from transducer.backbone import BackboneConfig
    from transducer.methods import method_config

    module = AdaptationModule(BackboneConfig(config=TINY_T5, tokenizer="byte"), method_config("no_finetune"),
                              generation=GenerationSettings(max_new_tokens=2, mixed_precision=mixed_precision))
    seen = []
    module.adapted_model.backbone.register_forward_pre_hook(lambda *_: seen.append(torch.is_autocast_enabled("cpu")))
    pairs = TASK_EXAMPLES["code_summarization"][:2]
    data = CodeTaskDataModule("code_summarization", test=str(write_jsonl(tmp_path / "t.jsonl", pairs)),
                              cpg_cache_dir=str(tmp_path / "c"), extraction_workers=1)
    pl.Trainer(precision="bf16-mixed", logger=False, enable_progress_bar=False, default_root_dir=str(tmp_path)).test(module, data)
    # the loss forward always runs under the trainer's autocast; generation follows the setting
    assert seen[0] is True and set(seen[1:]) == {mixed_precision}


def _test_predictions(tmp_path: Path, generation: Any, group_by_length: bool,
                      asked: list[int] | None = None) -> list[dict[str, Any]]:
    """Predictions of the random tiny T5 (no fine-tuning, byte tokens, batches of one) on four sources of different
    lengths; ``asked`` collects the ``max_new_tokens`` each batch asked of the model's ``generate``."""
    import lightning.pytorch as pl

    from tasks import AdaptationModule, CodeTaskDataModule
    from tests.tasks.harness_utils import TASK_EXAMPLES, write_jsonl
    from transducer.backbone import BackboneConfig
    from transducer.methods import method_config

    pl.seed_everything(0, verbose=False)
    module = AdaptationModule(BackboneConfig(config=TINY_T5, tokenizer="byte"), method_config("no_finetune"),
                              generation=generation)
    model_generate = module.adapted_model.generate

    def recording_generate(*args: Any, **kwargs: Any) -> Any:
        if asked is not None:
            asked.append(kwargs["max_new_tokens"])
        return model_generate(*args, **kwargs)

    module.adapted_model.generate = recording_generate  # type: ignore[method-assign]
    pairs = TASK_EXAMPLES["code_summarization"][:4]
    data = CodeTaskDataModule("code_summarization", test=str(write_jsonl(tmp_path / "t.jsonl", pairs)),
                              eval_batch_size=1, group_by_length=group_by_length,
                              cpg_cache_dir=str(tmp_path / "c"), extraction_workers=1)
    run = tmp_path / f"run-{group_by_length}-{generation.max_new_tokens_per_source_token}"
    pl.Trainer(logger=False, enable_progress_bar=False, default_root_dir=str(run)).test(module, data)
    return read_jsonl(next(run.rglob("predictions_test.jsonl")))


def test_generation_budget_follows_each_batch_longest_source(tmp_path: Path) -> None:
    from tasks.module import GenerationSettings

    settings = GenerationSettings(max_new_tokens=12, max_new_tokens_per_source_token=0.25)
    assert [settings.new_token_budget(n) for n in (10, 41, 1000)] == [3, 11, 12]
    assert GenerationSettings(max_new_tokens=100).new_token_budget(1000) == 100
    with pytest.raises(ValueError, match="max_new_tokens_per_source_token must be positive"):
        GenerationSettings(max_new_tokens_per_source_token=0)

    asked: list[int] = []
    records = _test_predictions(tmp_path, settings, group_by_length=True, asked=asked)
    source_tokens = [len(r["source"].encode()) + 1 for r in records]  # bytes + </s>, one sample per batch
    assert asked == [min(12, math.ceil(0.25 * n)) for n in source_tokens]
    assert max(asked) == 12 and min(asked) < 12  # both the cap per source token and the overall cap took effect


def test_length_grouped_evaluation_goes_longest_source_first_and_keeps_every_sample(tmp_path: Path) -> None:
    from tasks.module import GenerationSettings

    settings = GenerationSettings(max_new_tokens=2, num_beams=1)
    grouped = _test_predictions(tmp_path, settings, group_by_length=True)
    in_order = _test_predictions(tmp_path, settings, group_by_length=False)
    assert [len(r["source"]) for r in grouped] == sorted((len(r["source"]) for r in grouped), reverse=True)
    assert [r["id"] for r in in_order] == [f"t-{i}" for i in range(4)]
    # the same predictions, only written in another order
    assert {r["id"]: r["prediction"] for r in grouped} == {r["id"]: r["prediction"] for r in in_order}


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_run_killed_mid_epoch_resumes_to_bit_identical_weights_and_losses(tmp_path: Path) -> None:
    """SIGKILL a real training process between checkpoints in the middle of an epoch; resumed from its last
    checkpoint, it ends with the uninterrupted run's trainable weights and losses, bit for bit (fp32, dropout on).
    Every run uses one thread: with more, MKL may use fewer threads when the machine is busy (MKL_DYNAMIC), which
    changes the order of float sums between any two runs, interrupted or not."""
    import torch
    from safetensors.torch import load_file

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _kill_and_resume(tmp_path, load_file)
    finally:
        torch.set_num_threads(threads)


def _kill_and_resume(tmp_path: Path, load_file: Any) -> None:

    backbone = {**TINY_T5, "dropout_rate": 0.3}
    # 6 examples at batch 1: 6 steps an epoch; last.ckpt at steps 2, 4, 6, ...; 9 steps cross into the second epoch
    trainer = {"log_every_n_steps": 1, "val_check_interval": 2, "max_steps": 9, "precision": "32-true"}
    data = {"batch_size": 1, "test": None, "predict": None}
    (tmp_path / "a").mkdir()
    uninterrupted = make_config(tmp_path / "a", "code_summarization", backbone=backbone, trainer=trainer, data=data)
    run_cli("fit", "--config", str(uninterrupted))
    expected_run = _latest_run(tmp_path / "a" / "out")

    (tmp_path / "b").mkdir()
    interrupted = make_config(tmp_path / "b", "code_summarization", backbone=backbone, trainer=trainer, data=data)
    values = yaml.safe_load(interrupted.read_text())
    marker = tmp_path / "b" / "step5"
    values["trainer"]["callbacks"] = [{"class_path": "tests.tasks.harness_utils.SlowSteps",
                                       "init_args": {"marker": str(marker), "after_steps": 5, "seconds": 0.5}}]
    interrupted.write_text(yaml.safe_dump(values))
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "tasks.commands", "fit", "--config", str(interrupted)],
                               cwd=REPO_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # after step 5: the last checkpoint is step 4's, two thirds into epoch 0
    process.wait()
    assert marker.exists() and process.returncode == -signal.SIGKILL
    run_cli("fit", "--config", str(interrupted), "--ckpt_path", "last", "--trainer.callbacks", "[]")
    resumed_run = _latest_run(tmp_path / "b" / "out")

    expected, resumed = _train_losses(expected_run), _train_losses(resumed_run)
    assert sorted(expected) == list(range(9)) and {step: resumed[step] for step in expected} == expected
    weights = load_file(str(expected_run / "adapter" / "adapter_model.safetensors"))
    again = load_file(str(resumed_run / "adapter" / "adapter_model.safetensors"))
    assert weights.keys() == again.keys() and all(weights[k].equal(again[k]) for k in weights)
