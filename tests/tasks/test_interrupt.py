"""SIGTERM or SIGINT during ``fit``: a checkpoint, a line saying how to resume, and a non-zero exit (143 / 130)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.tasks.harness_utils import make_config

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum, exit_code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_fit_checkpoints_and_exits_non_zero(tmp_path: Path, signum: int, exit_code: int) -> None:
    config = make_config(tmp_path, "code_translation", trainer={"max_steps": 400, "val_check_interval": None},
                         data={"validation": None, "test": None, "predict": None})
    values = yaml.safe_load(config.read_text())
    marker = tmp_path / "training"
    values["trainer"]["callbacks"] = [{"class_path": "tests.tasks.harness_utils.SlowSteps",
                                       "init_args": {"marker": str(marker), "after_steps": 2}}]
    config.write_text(yaml.safe_dump(values))
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # a shell's background job starts with SIGINT ignored, and Python then leaves it ignored: restore the default so
    # the run gets its KeyboardInterrupt however the suite was started
    process = subprocess.Popen([sys.executable, "-m", "tasks.commands", "fit", "--config", str(config)], cwd=REPO_ROOT,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), "training never reached its second step"
    process.send_signal(signum)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == exit_code, output[-2000:]
    checkpoint = tmp_path / "out" / "checkpoints" / "last.ckpt"
    assert checkpoint.is_file()
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    assert f"interrupted by {name} at step" in output and "--ckpt_path last" in output and str(checkpoint) in output
    if signum == signal.SIGTERM:  # the checkpoint resumes
        step = int(output.split(f"interrupted by {name} at step ")[1].split(":")[0])
        resumed = subprocess.run(
            [sys.executable, "-m", "tasks.commands", "fit", "--config", str(config), "--ckpt_path", "last",
             "--trainer.max_steps", str(step + 2), "--trainer.callbacks", "[]"],
            cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300,
        )
        assert resumed.returncode == 0, resumed.stderr[-2000:]
