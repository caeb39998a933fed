"""The quality comparison command on a tiny folder backbone: per-method results, graph ablation, significance,
and resuming without rerunning finished work."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from benchmarks.quality_comparison import main
from tests.tasks.harness_utils import TASK_EXAMPLES, TINY_T5
from transducer.backbone import load_backbone


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("quality")
    backbone, tokenizer = load_backbone(config={**TINY_T5, "dropout_rate": 0.1}, tokenizer="byte")
    backbone.save_pretrained(root / "backbone")
    tokenizer.save_pretrained(root / "backbone")
    pairs = TASK_EXAMPLES["code_translation"]
    for split, count in (("train", 30), ("valid", 8)):
        rows = [(s.replace("a", f"a{i}"), t.replace("a", f"a{i}")) for i in range(count // len(pairs) + 1) for s, t in pairs][:count]
        (root / "data").mkdir(exist_ok=True)
        (root / "data" / f"{split}.java-cs.txt.java").write_text("\n".join(s for s, _ in rows) + "\n")
        (root / "data" / f"{split}.java-cs.txt.cs").write_text("\n".join(t for _, t in rows) + "\n")
    return {"root": root}


def _args(root: Path, *extra: str) -> list[str]:
    return ["--data", str(root / "data"), "--backbone", str(root / "backbone"), "--results", str(root / "results"),
            "--work-dir", str(root / "work"), "--dev-size", "6", "--grid-steps", "2", "--batch-size", "8",
            "--eval-batch-size", "8", "--max-new-tokens", "6", "--warmup-steps", "1", "--grid-extensions", "0",
            "--no-benchmarks-md", *extra]


def test_comparison_results_report_and_resume(setup: dict[str, Path]) -> None:
    root = setup["root"]
    main(_args(root, "--methods", "no_finetune", "transducer"))
    results = root / "results"
    transducer = json.loads((results / "transducer" / "result.json").read_text())
    assert [p["learning_rate"] for p in transducer["grid"]] == [3e-4, 1e-3, 3e-3]
    assert transducer["learning_rate"] in (3e-4, 1e-3, 3e-3) and transducer["steps"] == 4  # 30 pairs / 8, 1 epoch
    ablation = transducer["graph_ablation"]
    assert set(ablation["shuffled_metrics"]) >= {"corpus_bleu", "exact_match", "codebleu"}
    assert 0.0 <= ablation["fusion_update"]["constant_share"] <= 1.0
    assert len((results / "transducer" / "predictions.jsonl").read_text().splitlines()) == 8
    assert json.loads((results / "no_finetune" / "result.json").read_text())["grid"] == []

    report = (results / "report.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in report.splitlines() if line.startswith("| ")}
    assert {"copy_source", "no_finetune", "transducer"} <= set(rows)
    for method in ("copy_source", "no_finetune"):  # the transducer against each, Holm-corrected
        p_holm = float(rows[method].strip("|").split("|")[-3])
        assert 0.0 < p_holm <= 1.0
    not_run = next(line for line in report.splitlines() if line.startswith("Not run yet:"))
    assert "Graph contribution" in report and "transducer_no_graph" in not_run and "transducer," not in not_run
    assert (results / "chart.png").stat().st_size > 0
    runs = json.loads((results / "runs.json").read_text())  # each invocation's wall time, summed in the report
    assert [r["methods"] for r in runs] == [["no_finetune", "transducer"]] and runs[0]["wall_s"] > 0
    assert f"{runs[0]['wall_s'] / 60:.0f} min with --jobs 1" in report

    finished = {p: p.stat().st_mtime_ns for p in results.glob("transducer/*.json")}
    main(_args(root, "--methods", "transducer"))  # resumes: nothing of the finished method runs again
    assert {p: p.stat().st_mtime_ns for p in results.glob("transducer/*.json")} == finished

    final = results / "transducer" / "result.json"  # as if finished with an older graph extractor
    final.write_text(json.dumps({**json.loads(final.read_text()), "extractor_version": "0"}))
    kept = final.stat().st_mtime_ns
    main(_args(root, "--methods", "transducer"))  # kept, and the report says which version it used
    assert final.stat().st_mtime_ns == kept
    assert "transducer (v0)" in (results / "report.md").read_text()
    main(_args(root, "--methods", "transducer", "--rerun-older-graphs"))  # the final run again, the grid kept
    assert json.loads(final.read_text())["extractor_version"] != "0"
    assert {p: p.stat().st_mtime_ns for p in results.glob("transducer/grid_*.json")} == {
        p: t for p, t in finished.items() if p.name.startswith("grid_")}
    assert "transducer (v0)" not in (results / "report.md").read_text()

    with pytest.raises(SystemExit):  # other protocol settings must not mix with these results
        main(_args(root, "--methods", "transducer", "--final-epochs", "2"))
    torch.manual_seed(7)
    other, _ = load_backbone(config={**TINY_T5, "dropout_rate": 0.1}, tokenizer="byte")
    other.save_pretrained(root / "other-backbone")
    with pytest.raises(SystemExit):  # nor results on other weights of the same architecture
        main([*_args(root, "--methods", "transducer"), "--backbone", str(root / "other-backbone")])


def test_every_method_has_a_row_in_the_report_order() -> None:
    from benchmarks.quality_comparison import COPY_BASELINE, DEFAULT_METHODS, LEARNING_RATE_GRIDS, REPORT_ORDER

    assert sorted(REPORT_ORDER) == sorted({COPY_BASELINE, *LEARNING_RATE_GRIDS})  # none left out of the report
    assert set(DEFAULT_METHODS) < set(LEARNING_RATE_GRIDS)


def test_the_grid_grows_past_an_edge_best_and_stops_inside() -> None:
    from benchmarks.quality_comparison import learning_rate_grid, next_rate

    assert [next_rate(r, up=True) for r in (1e-4, 3e-4, 3e-3)] == [3e-4, 1e-3, 1e-2]
    assert [next_rate(r, up=False) for r in (1e-3, 3e-3)] == [3e-4, 1e-3]
    scored = []

    def score(rate: float) -> dict:  # dev BLEU peaks at 1e-2
        scored.append(rate)
        return {"learning_rate": rate, "metrics": {"corpus_bleu": -abs(math.log10(rate) + 2)}}

    points = learning_rate_grid((3e-4, 1e-3, 3e-3), score, extensions=2)
    assert [p["learning_rate"] for p in points] == [3e-4, 1e-3, 3e-3, 1e-2, 3e-2]  # 1e-2 is now inside
    assert learning_rate_grid((1e-3, 3e-3, 1e-2), score, extensions=2)[-1]["learning_rate"] == 3e-2
    assert len(learning_rate_grid((3e-4, 1e-3, 3e-3), score, extensions=0)) == 3


def test_parallel_jobs_give_the_sequential_results(setup: dict[str, Path]) -> None:
    root = setup["root"]
    main([*_args(root, "--methods", "no_finetune"), "--results", str(root / "sequential")])
    main([*_args(root, "--methods", "no_finetune", "transducer_no_graph", "--jobs", "2"),
          "--results", str(root / "parallel")])  # fmt: skip
    sequential, parallel = root / "sequential" / "no_finetune", root / "parallel" / "no_finetune"
    assert (parallel / "predictions.jsonl").read_text() == (sequential / "predictions.jsonl").read_text()
    trained = json.loads((root / "parallel" / "transducer_no_graph" / "result.json").read_text())
    assert trained["torch_threads"] == max(1, (os.cpu_count() or 1) // 2) and len(trained["grid"]) == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_worker_that_handles_sigterm_still_ends_with_its_parent(tmp_path: Path) -> None:
    parent_script = tmp_path / "parent.py"
    parent_script.write_text(textwrap.dedent(f"""
        import multiprocessing, os, signal, sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from benchmarks.quality_comparison import _set_threads

        def worker():
            _set_threads(1)
            signal.signal(signal.SIGTERM, lambda *_: None)  # Lightning's handler while it trains does not exit
            print(os.getpid(), flush=True)
            time.sleep(120)

        if __name__ == "__main__":
            process = multiprocessing.get_context("spawn").Process(target=worker)
            process.start()
            process.join()
    """))
    parent = subprocess.Popen([sys.executable, str(parent_script)], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    parent.kill()
    parent.wait()

    def alive() -> bool:  # a zombie (ended, not yet reaped by init) counts as ended
        try:
            status = Path(f"/proc/{worker}/status").read_text()
        except FileNotFoundError:
            return False
        return "\nState:\tZ" not in status

    deadline = time.monotonic() + 20
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    ended = not alive()
    if not ended:
        os.kill(worker, signal.SIGKILL)
    assert ended, "the worker outlived its killed parent"
