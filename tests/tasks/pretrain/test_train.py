"""`transducer pretrain` end to end on a tiny corpus: exact resume across sittings, settings guard, and the
exported Hugging Face folder loading offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from tasks.pretrain.train import main

TINY = ["--vocab-size", "400", "--d-model", "16", "--d-ff", "32", "--layers", "1", "--decoder-layers", "1",
        "--heads", "2", "--d-kv", "8", "--batch-size", "4", "--span-window", "32", "--causal-window", "48",
        "--warmup-steps", "2", "--max-steps", "6", "--eval-every", "3", "--precision", "fp32", "--save-dtype", "fp32",
        "--threads", "1"]  # fmt: skip


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "train.methods.java"
    methods = [f"public int f{i}(int a) {{ int b = a * {i}; return b + {i % 7}; }}" for i in range(600)]
    path.write_text("\n".join(methods) + "\n")
    return path


def _run(tmp_path: Path, corpus_file: Path, name: str, *extra: str) -> Path:
    output = tmp_path / f"{name}-model"
    main(["--output", str(output), "--work-dir", str(tmp_path / name), "--line-file", f"java={corpus_file}", *TINY, *extra])
    return output


def test_two_sittings_equal_one_and_the_folder_loads_offline(tmp_path: Path, corpus_file: Path, monkeypatch):
    whole = _run(tmp_path, corpus_file, "whole")
    first = _run(tmp_path, corpus_file, "split", "--sitting-steps", "4")
    assert not first.exists()  # stopped at step 4 of 6: nothing exported yet
    split = _run(tmp_path, corpus_file, "split")
    weights_whole, weights_split = load_file(whole / "model.safetensors"), load_file(split / "model.safetensors")
    assert weights_whole.keys() == weights_split.keys()
    assert all(torch.equal(weights_whole[k], weights_split[k]) for k in weights_whole)

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = AutoModelForSeq2SeqLM.from_pretrained(str(whole))
    tokenizer = AutoTokenizer.from_pretrained(str(whole))
    assert model.config.dropout_rate == 0.1 and model.config.decoder_start_token_id == tokenizer.pad_token_id == 0
    card = (whole / "README.md").read_text()
    assert "6 steps" in card and "transducer pretrain --output" in card and "lines:train.methods.java" in card
    assert (whole / "loss_curve.png").stat().st_size > 0 and (whole / "valid_log.csv").is_file()
    output = model.generate(**tokenizer(["public int f3(int a) {"], return_tensors="pt"), max_new_tokens=4)
    assert output.shape[0] == 1


def test_continuing_with_other_settings_is_refused(tmp_path: Path, corpus_file: Path):
    _run(tmp_path, corpus_file, "run", "--sitting-steps", "1")
    with pytest.raises(SystemExit, match="holds a run with other settings"):
        _run(tmp_path, corpus_file, "run", "--d-model", "32")


def test_validation_files_are_refused(tmp_path: Path):
    valid = tmp_path / "valid.java-cs.txt.java"
    valid.write_text("int f() {}\n")
    with pytest.raises(ValueError, match="held-out split"):
        main(["--output", str(tmp_path / "m"), "--work-dir", str(tmp_path / "w"), "--line-file", f"java={valid}", *TINY])


def test_budget_minutes_fixes_max_steps_once_and_resuming_keeps_it(tmp_path: Path, corpus_file: Path):
    _run(tmp_path, corpus_file, "budget", "--budget-minutes", "0.02", "--sitting-steps", "1")
    chosen = json.loads((tmp_path / "budget" / "config.json").read_text())["max_steps"]
    assert chosen > 2  # more than the warm-up steps: 1.1 s of a tiny model is many steps
    _run(tmp_path, corpus_file, "budget", "--budget-minutes", "0.02", "--sitting-steps", "1")  # no second probe
    assert json.loads((tmp_path / "budget" / "config.json").read_text())["max_steps"] == chosen
    assert torch.load(tmp_path / "budget" / "checkpoint.pt", weights_only=False)["state"]["step"] == 2
    with pytest.raises(SystemExit, match="fit only"):
        _run(tmp_path, corpus_file, "too-short", "--budget-minutes", "0.00001")
