"""Quality columns of ``transducer bench --train-config``: train and test every method with the same harness config,
then test whether the transducer differs from each baseline (paired, on per-instance scores).

Each method runs ``transducer fit --config CONFIG --model.method <its config class>`` in its own process (same
data, trainer, optimizer settings, generation and metrics; only ``model.method`` changes), writing to
``<output_dir>/<method>/``. The fit tests the best checkpoint on ``data.test``, whose ``metrics_test.json`` and
``predictions_test.jsonl`` are collected here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.significance import SignificanceResult, paired_bootstrap, paired_scores_from_files

REFERENCE_METHOD = "transducer"


@dataclass
class QualityRow:
    """Test metrics of one trained method (``None`` where its run failed)."""

    method: str
    metrics: dict[str, float] | None
    predictions_path: str | None
    error: str | None = None


def method_spec(method: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"class_path", "init_args"}`` of a registered method or preset, for ``--model.method``."""
    from transducer.methods import METHODS, PRESETS, method_names

    base, fixed = PRESETS.get(method, (method, {}))
    if base not in METHODS:
        raise ValueError(f"unknown method {method!r}; available: {', '.join(method_names())}")
    config_class = METHODS[base]
    return {"class_path": f"{config_class.__module__}.{config_class.__name__}", "init_args": {**fixed, **(options or {})}}


def train_and_test(method: str, config: Path, output_dir: Path, options: dict[str, Any] | None = None) -> QualityRow:
    """Fit ``method`` with the harness config ``config`` (test after fit) and read its test outputs."""
    run_root = output_dir / method
    method_json = json.dumps(method_spec(method, options))
    command = [
        sys.executable, "-m", "tasks.commands", "fit", "--config", str(config),
        "--model.method", method_json,
        "--trainer.default_root_dir", str(run_root),
        "--trainer.logger", "null",
        "--test_after_fit", "true",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    runs = sorted((run_root / "run").glob("version_*"), key=lambda p: int(p.name.split("_")[1]))
    metrics_file = runs[-1] / "metrics_test.json" if runs else None
    if result.returncode != 0 or metrics_file is None or not metrics_file.is_file():
        error = (result.stderr.strip().splitlines() or ["no test metrics written"])[-1]
        return QualityRow(method, None, None, error=error)
    metrics = {k: float(v) for k, v in json.loads(metrics_file.read_text()).items() if isinstance(v, (int, float))}
    return QualityRow(method, metrics, str(runs[-1] / "predictions_test.jsonl"))


def significance_against_reference(
    rows: Sequence[QualityRow], metric: str, reference: str = REFERENCE_METHOD, seed: int = 0
) -> dict[str, SignificanceResult]:
    """Paired bootstrap of ``reference`` vs every other method on per-instance ``metric`` scores."""
    by_method = {row.method: row for row in rows if row.predictions_path}
    if reference not in by_method:
        return {}
    results = {}
    for method, row in by_method.items():
        if method == reference:
            continue
        ours, theirs = paired_scores_from_files(by_method[reference].predictions_path, row.predictions_path, metric)
        results[method] = paired_bootstrap(ours, theirs, seed=seed)
    return results


def render_quality(rows: Sequence[QualityRow], metrics: Sequence[str], tests: dict[str, SignificanceResult], metric: str) -> str:
    """Markdown table: test metrics per method, and the paired test of the transducer against each method."""
    header = ["method", *metrics, f"transducer − method ({metric})", "95% CI", "p"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if row.metrics is None:
            lines.append(f"| {row.method} | failed: {row.error} |" + " |" * (len(header) - 2))
            continue
        cells = [f"{row.metrics.get(name, float('nan')):.2f}" for name in metrics]
        test = tests.get(row.method)
        if test is None:
            cells += ["—", "—", "—"]
        else:
            cells += [f"{test.mean_difference:+.2f}", f"[{test.ci_low:+.2f}, {test.ci_high:+.2f}]", f"{test.p_value:.3f}"]
        lines.append("| " + " | ".join([row.method, *cells]) + " |")
    return "\n".join(lines)


def run_quality(
    methods: Sequence[str],
    config: Path,
    output_dir: Path,
    method_options: dict[str, dict[str, Any]] | None = None,
    log: Any = print,
) -> str:
    """Train and test every method, and return the markdown quality section (also written to ``quality.md``)."""
    import yaml

    from tasks.task import Task, resolve_task

    task_config = (yaml.safe_load(config.read_text()).get("data") or {}).get("task", "code_summarization")
    task = resolve_task(task_config if isinstance(task_config, str) else Task(**task_config))
    rows = []
    for method in methods:
        log(f"[bench] training and testing {method} with {config}")
        rows.append(train_and_test(method, config, output_dir, (method_options or {}).get(method)))
    tests = significance_against_reference(rows, task.main_metric)
    table = render_quality(rows, task.metrics, tests, task.main_metric)
    report = (
        f"## Quality on {task.name} (test split, config `{config}`)\n\n{table}\n\n"
        f"Paired bootstrap (1000 resamples) of per-instance {task.main_metric}: the transducer's mean minus the "
        "method's, its 95% confidence interval and two-sided p-value.\n"
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "quality.md").write_text(report)
    return report
