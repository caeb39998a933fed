"""`transducer bench` on a tiny backbone: two methods, one step each, in worker subprocesses."""

from __future__ import annotations

import json
import random
import statistics

import pytest

from tests.transducer.methods.tiny import TINY_CONFIGS
from tasks.bench.cli import main
from tasks.bench.inputs import synthetic_cpg
from tasks.bench.report import markdown_table, ratio_columns
from tasks.bench.settings import EfficiencyRow, MethodRuns


def test_bench_writes_table_chart_and_sane_rows(tmp_path, capsys) -> None:
    main([
        "--methods", "lora", "transducer", "--backbone-config", json.dumps(TINY_CONFIGS["t5"]),
        "--method-options", json.dumps({"transducer": {"bottleneck_dim": 8, "gnn_heads": 2}}),
        "--batch-size", "2", "--source-length", "12", "--target-length", "6", "--nodes-per-graph", "10",
        "--steps", "1", "--warmup-steps", "0", "--repeats", "2", "--output-dir", str(tmp_path),
    ])  # fmt: skip

    report = (tmp_path / "bench.md").read_text()
    assert report in capsys.readouterr().out
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")
    runs = json.loads((tmp_path / "bench.json").read_text())["runs"]
    assert set(runs) == {"lora", "transducer"} and all(len(r) == 2 for r in runs.values())  # 2 repeats each
    rows = {method: EfficiencyRow(**r[0]) for method, r in runs.items()}
    lora = rows["lora"]
    # LoRA r=8 on q and v of 2 encoder + 2 decoder blocks (decoder: self-attention and cross-attention)
    assert lora.trainable_params == 6 * 2 * 8 * (32 + 32)
    for row in rows.values():
        assert row.backbone_params == rows["lora"].backbone_params > row.trainable_params > 0
        assert row.total_params == row.backbone_params + row.trainable_params  # adapters add their weights
        assert row.trainable_percent == pytest.approx(100 * row.trainable_params / row.total_params)
        assert row.adapter_bytes > 4 * row.trainable_params  # float32 weights plus the config
        assert row.peak_memory_bytes >= row.memory_after_build_bytes > 0
        assert len(row.step_times_s) == 1 and row.step_time_s > 0 and row.generation_time_per_sample_s > 0
        assert f"| {row.method} | {row.trainable_params:,d} | {row.trainable_percent:.4f} |" in report
    assert "2 repeats per method in interleaved rounds" in report
    # the report's step-time ratio is the median, over rounds, of the transducer's step time over LoRA's in that round
    steps = {m: [EfficiencyRow(**r).step_time_s for r in method_runs] for m, method_runs in runs.items()}
    ratios = sorted(t / lo for t, lo in zip(steps["transducer"], steps["lora"]))
    cell = f"{statistics.median(ratios):.3g}× ({ratios[0]:.3g}×–{ratios[-1]:.3g}×)"
    transducer_row = next(line for line in report.split("## Relative to LoRA")[1].splitlines() if line.startswith("| transducer |"))
    assert transducer_row.split("|")[3].strip() == cell
    assert "## Relative to LoRA" in report and "| lora | 1× | 1× (1×–1×) | 1× (1×–1×) | 1× (1×–1×) |" in report


def test_memory_lever_rows_are_measured_as_their_own_methods(tmp_path) -> None:
    main([
        "--methods", "lora", "transducer+bf16+checkpointing", "qlora", "--backbone-config", json.dumps(TINY_CONFIGS["t5"]),
        "--batch-size", "2", "--source-length", "12", "--target-length", "6", "--nodes-per-graph", "10",
        "--steps", "1", "--warmup-steps", "0", "--repeats", "1", "--precision", "bf16-mixed", "--output-dir", str(tmp_path),
    ])  # fmt: skip
    runs = json.loads((tmp_path / "bench.json").read_text())["runs"]
    assert set(runs) == {"lora", "transducer+bf16+checkpointing", "qlora"}
    assert runs["qlora"][0]["trainable_params"] == runs["lora"][0]["trainable_params"]  # LoRA on the int8 backbone
    assert "precision bf16-mixed" in (tmp_path / "bench.md").read_text()
    with pytest.raises(SystemExit):  # argparse: unknown lever
        main(["--methods", "transducer+int4", "--output-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="needs --precision bf16-mixed"):
        main(["--methods", "transducer+bf16", "--output-dir", str(tmp_path)])


def test_ratios_are_taken_within_rounds_and_summarised_with_their_range() -> None:
    base = dict(backbone_params=1000, total_params=1010, adapter_bytes=10, memory_after_build_bytes=100,
                memory_source="test", generation_time_per_sample_s=0.1)

    def runs(method: str, trainable: int, step_medians: list[float | None]) -> MethodRuns:
        return MethodRuns(method, [
            EfficiencyRow(method, trainable, peak_memory_bytes=None if m is None else 150,
                          step_times_s=None if m is None else [m, m + 1, m - 0.5], **base) for m in step_medians
        ])

    lora = runs("lora", 10, [2.0, 4.0, 3.0])  # a slow second round hits both methods
    transducer = runs("transducer", 5, [1.0, 2.2, 1.5])
    zero = runs("no_finetune", 0, [None, None, None])
    assert transducer.ratios("step_time_s", lora) == pytest.approx([0.5, 0.55, 0.5])
    table = markdown_table([lora, transducer, zero], ratio_columns(lora, "LoRA"))
    assert table.splitlines()[-2] == "| 0.5× | 0.5× (0.5×–0.55×) | 1× (1×–1×) | 1× (1×–1×) |"
    assert table.splitlines()[-1] == "| 0× | n/a | n/a | n/a |"
    assert zero.runs[0].memory_increase_bytes is None and lora.runs[0].memory_increase_bytes == 50


def test_synthetic_cpg_is_a_tree_plus_statement_edges() -> None:
    graph = synthetic_cpg(60, random.Random(0))
    counts = graph.edge_counts()
    assert graph.num_nodes == 60 and counts["AST"] == 59
    assert counts["CFG"] > 0 and counts["DDG"] > 0
    assert all(0 <= e.src < 60 and 0 <= e.dst < 60 for e in graph.edges)
    with pytest.raises(ValueError, match="at least one node"):
        synthetic_cpg(0, random.Random(0))


def test_a_preset_is_measured_by_its_name_with_levers() -> None:
    from tasks.bench.measure import parse_method_spec

    assert parse_method_spec("transducer_fusion+checkpointing") == ("transducer_fusion", {"gradient_checkpointing": True})
    with pytest.raises(ValueError, match="unknown method 'transducer_nonsense'"):
        parse_method_spec("transducer_nonsense")
