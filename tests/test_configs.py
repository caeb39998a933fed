"""Shipped configs are up to date with their generator and parse with the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_generated_configs_are_up_to_date() -> None:
    result = subprocess.run([sys.executable, "configs/make_configs.py", "--check"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# every method once (the task part of a config does not depend on the method), every task once
CONFIGS = sorted(
    {"configs/quickstart.yaml"}
    | {f"configs/code_translation/{p.name}" for p in (REPO_ROOT / "configs" / "code_translation").glob("*.yaml")}
    | {f"configs/{task}/transducer.yaml" for task in ("code_summarization", "assert_generation")}
)


@pytest.mark.parametrize("config", CONFIGS)
def test_config_parses(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tasks.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", str(REPO_ROOT / config), "--print_config"])
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert "method:" in printed and "class_path:" in printed
