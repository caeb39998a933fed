"""Bad configs and data give errors that name the key or file and what is expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tasks.harness_utils import make_config, run_cli


def _parse_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        run_cli(*args)
    assert exit_info.value.code != 0
    return capsys.readouterr().err


def test_unknown_config_key_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path, "code_summarization")
    error = _parse_error(capsys, "fit", "--config", str(config), "--model.learning_rte", "0.1")
    assert "unknown option 'model.learning_rte'; did you mean 'model.learning_rate'?" in error
    assert len(error.strip().splitlines()) == 2 and "usage" not in error  # no page of usage text


def test_misspelled_key_in_a_yaml_file_gets_the_closest_valid_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path, "code_summarization")
    typo = tmp_path / "typo.yaml"
    typo.write_text("data:\n  batch_sise: 4\n")
    error = _parse_error(capsys, "fit", "--config", str(config), "--config", str(typo))
    assert "unknown option 'data.batch_sise'; did you mean 'data.batch_size'?" in error


def test_unknown_method_class_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path, "code_summarization", method={"class_path": "transducer.methods.NoSuchMethod"})
    error = _parse_error(capsys, "fit", "--config", str(config))
    assert "NoSuchMethod" in error


def test_unknown_task_lists_builtin_tasks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path, "code_summarization")
    error = _parse_error(capsys, "fit", "--config", str(config), "--data.task", "summarise")
    assert "unknown task 'summarise'" in error and "code_summarization" in error


def test_unknown_backbone_is_named(tmp_path: Path) -> None:
    config = make_config(tmp_path, "code_summarization")
    missing = str(tmp_path / "no-such-model")
    with pytest.raises((OSError, ValueError), match="no-such-model"):
        run_cli("fit", "--config", str(config), "--model.backbone.config", "null", "--model.backbone.name_or_path", missing)


def test_missing_column_names_file_and_field(tmp_path: Path) -> None:
    config = make_config(tmp_path, "code_summarization")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"id": "a", "code": "int f() { return 1; }", "target": "one"}) + "\n")
    with pytest.raises(ValueError, match=r"broken\.jsonl.*'source'"):
        run_cli("fit", "--config", str(config), "--data.train", str(broken))


def test_empty_file_is_named(tmp_path: Path) -> None:
    config = make_config(tmp_path, "code_summarization")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"empty\.jsonl"):
        run_cli("fit", "--config", str(config), "--data.train", str(empty))


@pytest.mark.parametrize("subcommand", ["test", "validate", "predict"])
def test_evaluating_untrained_weights_is_refused_unless_asked(tmp_path: Path, subcommand: str) -> None:
    config = make_config(tmp_path, "code_summarization")
    with pytest.raises(SystemExit, match=r"trainable parameters but neither --model.adapter nor --ckpt_path.*--allow_untrained"):
        run_cli(subcommand, "--config", str(config))
    run_cli(subcommand, "--config", str(config), "--allow_untrained", "true")  # on purpose: runs
    no_training = {"class_path": "transducer.methods.NoFinetuneConfig"}
    run_cli(subcommand, "--config", str(make_config(tmp_path, "code_summarization", method=no_training)))


def test_console_command_prints_no_lightning_args_warning(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    config = make_config(tmp_path, "code_summarization")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "tasks.commands", "fit", "--config", str(config), "--print_config"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)}, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "seed_everything" in result.stdout and "args parameter" not in result.stderr


def test_a_failed_command_leaves_no_empty_run_folder(tmp_path: Path) -> None:
    config = make_config(tmp_path, "code_summarization")
    with pytest.raises(FileNotFoundError, match="no-such.jsonl"):
        run_cli("fit", "--config", str(config), "--data.train", str(tmp_path / "no-such.jsonl"))
    assert not list((tmp_path / "out" / "run").glob("version_*"))


def test_console_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    config = make_config(tmp_path, "code_summarization")
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "tasks.commands", "test", "--config", str(config), "--allow_untrained", "true",
               "--model.adapter", str(tmp_path / "no-adapter")]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("transducer test: error:")]
    assert len(error_lines) == 1 and "no-adapter" in error_lines[0] and "Traceback" not in result.stderr
