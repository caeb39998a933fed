"""Quality mode of `transducer bench`: every method trained and tested with one config, plus paired tests."""

from __future__ import annotations

import os
from pathlib import Path

from tasks.comparison.config_runs import run_quality
from tests.tasks.harness_utils import make_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_quality_table_has_metrics_and_a_paired_test_per_baseline(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    config = make_config(tmp_path, "code_translation", data={"predict": None})
    report = run_quality(["transducer", "lora", "no_finetune"], config, tmp_path / "quality")

    assert (tmp_path / "quality" / "quality.md").read_text() == report
    rows = {line.split("|")[1].strip(): line for line in report.splitlines() if line.startswith("| ")}
    assert {"transducer", "lora", "no_finetune"} <= set(rows)
    assert "failed" not in report
    for method in ("lora", "no_finetune"):
        cells = [c.strip() for c in rows[method].strip("|").split("|")]
        p_value = float(cells[-1])
        assert 0.0 < p_value <= 1.0
    for method in ("transducer", "lora", "no_finetune"):
        assert (tmp_path / "quality" / method / "run" / "version_0" / "predictions_test.jsonl").is_file()
