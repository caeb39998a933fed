"""``transducer bench``'s report: markdown tables (medians, min–max, per-round ratios), bar charts and raw JSON."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tasks.bench.settings import BenchSettings, MethodRuns


@dataclass(frozen=True)
class Column:
    """A table column: header and a cell formatter for a row."""

    header: str
    cell: Callable[[Any], str]


def _count(value: int) -> str:
    return f"{value:,d}"


def _size(value: int | None) -> str:
    if value is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def spread(values: Sequence[float], format_value: Callable[[float], str]) -> str:
    """``median (min–max)`` of repeated measurements (just the value for one; ``n/a`` for none)."""
    if not values:
        return "n/a"
    if len(values) == 1:
        return format_value(values[0])
    return f"{format_value(statistics.median(values))} ({format_value(min(values))}–{format_value(max(values))})"


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _times(value: float) -> str:
    return f"{value:.3g}×"


EFFICIENCY_COLUMNS: list[Column] = [
    Column("Method", lambda r: r.method),
    Column("Trainable params", lambda r: _count(r.trainable_params)),
    Column("Trainable % of all params", lambda r: f"{r.trainable_percent:.4f}"),
    Column("Adapter file", lambda r: _size(r.adapter_bytes)),
    Column("Peak memory", lambda r: spread(r.values("peak_memory_bytes"), _size)),
    Column("Memory increase", lambda r: spread(r.values("memory_increase_bytes"), _size)),
    Column("Step time (s)", lambda r: spread(r.values("step_time_s"), _seconds)),
    Column("Generation (s/sample)", lambda r: spread(r.values("generation_time_per_sample_s"), _seconds)),
]


def ratio_columns(reference: MethodRuns, label: str) -> list[Column]:
    """Columns of each method's cost divided by ``reference``'s (e.g. LoRA's), within each round."""
    def ratio(name: str) -> Callable[[MethodRuns], str]:
        return lambda r: spread(r.ratios(name, reference), _times)

    return [
        Column(f"Params / {label}", lambda r: _times(r.trainable_params / reference.trainable_params)
               if reference.trainable_params else "n/a"),
        Column(f"Step time / {label}", ratio("step_time_s")),
        Column(f"Peak memory / {label}", ratio("peak_memory_bytes")),
        Column(f"Memory increase / {label}", ratio("memory_increase_bytes")),
    ]


def markdown_table(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    lines = ["| " + " | ".join(c.header for c in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(c.cell(row) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def render_report(rows: Sequence[MethodRuns], settings: BenchSettings, failures: dict[str, str]) -> str:
    """The markdown report: settings, the cost table, and ratio tables against LoRA and full fine-tuning."""
    memory = rows[0].memory_source if rows else "n/a"
    parts = [
        "# Adaptation method benchmark",
        "",
        f"- backbone: {settings.backbone_label()}",
        f"- batch: {settings.batch_size} samples × {settings.source_length} source + {settings.target_length} target "
        f"tokens; graphs: {settings.nodes_per_graph} nodes per sample (methods that use graphs)",
        f"- device: {settings.device} (torch threads: {torch.get_num_threads()}), precision {settings.precision}; "
        f"memory: {memory}",
        f"- step time: median of {settings.steps} AdamW steps after {settings.warmup_steps} warmup; generation: "
        f"num_beams={settings.num_beams}, exactly {settings.new_tokens} new tokens per sample",
        f"- {settings.repeats} repeats per method in interleaved rounds: median (min–max) over repeats; ratios are "
        "taken within each round",
        "",
        markdown_table(rows, EFFICIENCY_COLUMNS),
    ]
    by_method = {row.method: row for row in rows}
    for method, label in (("lora", "LoRA"), ("full_finetune", "full FT")):
        if method in by_method:
            columns = [EFFICIENCY_COLUMNS[0], *ratio_columns(by_method[method], label)]
            parts += ["", f"## Relative to {label}", "", markdown_table(rows, columns)]
    if failures:
        parts += ["", "## Failed", ""] + [f"- {method}: {error.splitlines()[-1]}" for method, error in failures.items()]
    return "\n".join(parts) + "\n"


def plot(rows: Sequence[MethodRuns], path: Path) -> None:
    """Bar charts: trainable parameters (log scale), step time, memory increase, generation time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = [row.method for row in rows]
    nan = float("nan")  # no bar: nothing trained (a zero cannot be drawn on the log scale)
    panels = [
        ("Trainable parameters (log)", [row.trainable_params or nan for row in rows], True),
        ("Training step time, median (s)", [_median(row.values("step_time_s")) for row in rows], False),
        ("Training memory increase (MiB)", [_median(row.values("memory_increase_bytes")) / 2**20 for row in rows], False),
        ("Generation time per sample (s)", [_median(row.values("generation_time_per_sample_s")) for row in rows], False),
    ]
    figure, axes = plt.subplots(2, 2, figsize=(12, 2 + 0.45 * len(rows) * 2))
    for axis, (title, values, log_scale) in zip(axes.flat, panels):
        positions = range(len(methods))
        axis.barh(positions, values, color=["tab:red" if m.startswith("transducer") else "tab:blue" for m in methods])
        axis.set_yticks(positions, methods)
        axis.set_title(title)
        axis.invert_yaxis()
        if log_scale:
            axis.set_xscale("log")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")  # no bar: nothing trained


def write_outputs(rows: Sequence[MethodRuns], settings: BenchSettings, failures: dict[str, str], output_dir: Path) -> str:
    """Write ``bench.md``, ``bench.png`` and ``bench.json`` to ``output_dir``; returns the markdown."""
    output_dir.mkdir(parents=True, exist_ok=True)
    report = render_report(rows, settings, failures)
    (output_dir / "bench.md").write_text(report)
    raw = {"settings": dataclasses.asdict(settings), "failures": failures,
           "runs": {r.method: [dataclasses.asdict(run) for run in r.runs] for r in rows}}
    (output_dir / "bench.json").write_text(json.dumps(raw, indent=2) + "\n")
    if rows:
        plot(rows, output_dir / "bench.png")
    return report
