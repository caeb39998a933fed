"""The quality comparison command (protocol v2) on a tiny folder backbone: selection on dev loss, seeds, best
checkpoints, shuffled graphs, the report, resuming without rerunning finished work, and refusing to mix protocols."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from benchmarks.quality_comparison import _duration, main
from tasks.comparison.pipeline import StartBy
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
            "--work-dir", str(root / "work"), "--dev-size", "6", "--batch-size", "8", "--eval-batch-size", "8",
            "--max-new-tokens", "6", "--grid-extensions", "0", "--seeds", "0", "1", "--evaluations-per-epoch", "2",
            "--no-benchmarks-md", *extra]


def test_comparison_results_report_and_resume(setup: dict[str, Path]) -> None:
    root = setup["root"]
    main(_args(root, "--methods", "no_finetune", "transducer"))
    results = root / "results"
    protocol = json.loads((results / "protocol.json").read_text())
    assert protocol["seeds"] == [0, 1] and protocol["dev_pairs"] == 6 and protocol["train_pairs"] == 24
    assert protocol["precision"] in ("bf16-mixed", "32-true") and protocol["precision_reason"].startswith("auto:")
    selection = json.loads((results / "transducer" / "selection.json").read_text())
    assert [p["learning_rate"] for p in selection["grid"]] == [3e-4, 1e-3, 3e-3]
    assert all(p["steps"] == 1 for p in selection["grid"])  # 25% of the final run's 3 steps (24 pairs / 8)
    chosen = min(selection["grid"], key=lambda p: (p["dev_loss"], p["learning_rate"]))["learning_rate"]
    assert selection["learning_rate"] == chosen
    for seed in (0, 1):
        run = json.loads((results / "transducer" / f"seed{seed}" / "result.json").read_text())
        assert run["seed"] == seed and run["learning_rate"] == chosen and run["steps"] == 3
        assert [p["step"] for p in run["evaluations"]] == [1, 2, 3]  # 2 per epoch of 3 steps: steps 1, 2 and the end
        assert run["best_step"] == min(run["evaluations"], key=lambda p: p["dev_loss"])["step"]
        assert set(run["metrics"]) >= {"corpus_bleu", "exact_match", "codebleu", "chrf", "length_ratio", "repetition",
                                       "loss"}
        assert set(run["graph_ablation"]["metrics"]) >= {"corpus_bleu", "loss"}
        for name in ("predictions.jsonl", "predictions_shuffled_graphs.jsonl"):
            assert len((results / "transducer" / f"seed{seed}" / name).read_text().splitlines()) == 8
    assert [p.name for p in (results / "no_finetune").iterdir()] == ["seed0"]  # deterministic: one seed

    report = (results / "report.md").read_text()
    rows: dict[str, str] = {}
    for line in report.splitlines():  # the main table comes first; later tables name methods again
        if line.startswith("| "):
            rows.setdefault(line.split("|")[1].strip(), line)
    assert {"copy_source", "no_finetune", "transducer", "transducer − transducer (shuffled graphs) (BLEU)",
            "transducer − transducer (shuffled graphs) (chrF)"} <= set(rows)
    cells = [c.strip() for c in rows["transducer"].strip("|").split("|")]
    assert cells[3] == "2" and " ± " in cells[5]  # two seeds, mean ± sd
    for method in ("copy_source", "no_finetune"):  # the transducer against each, Holm-corrected
        p_holm = float(rows[method].strip("|").split("|")[-4])
        assert 0.0 < p_holm <= 1.0
    assert "transducer_no_graph" in next(line for line in report.splitlines() if line.startswith("Not finished"))
    assert "**Verdict so far** (rules" in report
    runs = json.loads((results / "runs.json").read_text())  # each invocation's wall time, summed in the report
    assert [r["methods"] for r in runs] == [["no_finetune", "transducer"]] and runs[0]["wall_s"] > 0

    finished = {p: p.stat().st_mtime_ns for p in results.glob("transducer/**/*.json")}
    main(_args(root, "--methods", "transducer"))  # resumes: nothing of the finished method runs again
    assert {p: p.stat().st_mtime_ns for p in results.glob("transducer/**/*.json") if p.name != "selection.json"} == {
        p: t for p, t in finished.items() if p.name != "selection.json"}

    stale = results / "transducer" / "seed1" / "result.json"  # as if made before a default of the method changed
    stale_record = json.loads(stale.read_text())
    stale.write_text(json.dumps({**stale_record, "method_config": {**stale_record["method_config"], "update_bound": 0.5}}))
    main(_args(root, "--methods", "transducer"))  # that seed runs again; the other is kept
    assert json.loads(stale.read_text())["method_config"]["update_bound"] == 0.25
    assert (results / "transducer" / "seed0" / "result.json").stat().st_mtime_ns == finished[
        results / "transducer" / "seed0" / "result.json"]

    with pytest.raises(SystemExit, match="epochs"):  # other protocol settings must not mix with these results
        main(_args(root, "--methods", "transducer", "--epochs", "2"))
    torch.manual_seed(7)
    other, _ = load_backbone(config={**TINY_T5, "dropout_rate": 0.1}, tokenizer="byte")
    other.save_pretrained(root / "other-backbone")
    with pytest.raises(SystemExit, match="backbone"):  # nor results on other weights of the same architecture
        main([*_args(root, "--methods", "transducer"), "--backbone", str(root / "other-backbone")])


def test_parallel_jobs_give_the_sequential_results(setup: dict[str, Path]) -> None:
    root = setup["root"]
    main([*_args(root, "--methods", "no_finetune"), "--results", str(root / "sequential")])
    main([*_args(root, "--methods", "no_finetune", "transducer_no_graph", "--jobs", "2", "--one-seed-first"),
          "--results", str(root / "parallel")])  # fmt: skip
    sequential, parallel = root / "sequential" / "no_finetune" / "seed0", root / "parallel" / "no_finetune" / "seed0"
    assert (parallel / "predictions.jsonl").read_text() == (sequential / "predictions.jsonl").read_text()
    # --one-seed-first queues a method's other seeds once its first is done: seed 1 ran too
    trained = json.loads((root / "parallel" / "transducer_no_graph" / "seed1" / "result.json").read_text())
    assert trained["torch_threads"] == max(1, (os.cpu_count() or 1) // 2)


def test_one_seed_first_finishes_every_method_s_first_seed_before_any_second_seed(setup: dict[str, Path]) -> None:
    root = setup["root"]
    results = root / "one_seed_first"
    main([*_args(root, "--methods", "transducer_no_graph", "no_finetune", "--one-seed-first"),
          "--results", str(results)])  # fmt: skip

    def finished(method: str, seed: int) -> int:
        return (results / method / f"seed{seed}" / "result.json").stat().st_mtime_ns

    assert finished("transducer_no_graph", 0) < finished("no_finetune", 0) < finished("transducer_no_graph", 1)
    assert "--one-seed-first" in (results / "report.md").read_text()  # the command that continues it keeps the order


def test_start_nothing_after_lets_the_running_grid_point_finish_and_starts_nothing_more(
        setup: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = setup["root"]
    results = root / "start_by"
    checks: list[bool] = []

    def passed(self: StartBy) -> bool:  # the time is up once the first grid point has started
        checks.append(bool(checks))
        return checks[-1]

    monkeypatch.setattr(StartBy, "passed", passed)
    main([*_args(root, "--methods", "transducer_no_graph", "no_finetune", "--start-nothing-after", "2h20m"),
          "--results", str(results)])  # fmt: skip
    assert [p.name for p in (results / "transducer_no_graph").iterdir()] == ["grid_lr0.0003.json"]
    assert not (results / "no_finetune").exists()  # nothing to train, but a seed to start: not started either
    runs = json.loads((results / "runs.json").read_text())
    assert runs[-1]["stopped_by"] == "--start-nothing-after 8400s"
    assert "transducer_no_graph" in next(line for line in (results / "report.md").read_text().splitlines()
                                         if line.startswith("Not finished"))


@pytest.mark.parametrize("text, seconds", [("2h20m", 8400.0), ("90m", 5400.0), ("45s", 45.0), ("1.5h", 5400.0)])
def test_durations_read_as_hours_minutes_and_seconds(text: str, seconds: float) -> None:
    assert _duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "2 hours", "20m2h"])
def test_a_duration_that_is_not_one_is_refused_with_the_form_it_takes(
        setup: dict[str, Path], text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(_args(setup["root"], "--start-nothing-after", text))
    assert "e.g. 2h20m, 90m or 45s" in capsys.readouterr().err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_worker_that_handles_sigterm_still_ends_with_its_parent(tmp_path: Path) -> None:
    parent_script = tmp_path / "parent.py"
    parent_script.write_text(textwrap.dedent(f"""
        import multiprocessing, os, signal, sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from tasks.comparison.pipeline import _set_threads

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


@pytest.mark.parametrize("flags, expected", [(("avx2", "fma"), "32-true"), (("avx2", "avx512_bf16"), "bf16-mixed")])
def test_the_comparison_precision_follows_the_cpu(setup: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                                  flags: tuple[str, ...], expected: str) -> None:
    """On a CPU without native bf16 the comparison trains in fp32, and protocol.json records the choice and why."""
    import transducer.precision as precision

    monkeypatch.setattr(precision, "cpu_flags", lambda *_: frozenset(flags))
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    root = setup["root"]
    results = root / f"precision-{expected}"
    main([*_args(root, "--methods", "no_finetune"), "--results", str(results)])
    protocol = json.loads((results / "protocol.json").read_text())
    assert protocol["precision"] == expected and protocol["precision_reason"].startswith("auto: this CPU has")


def test_a_folder_continues_on_a_machine_with_another_precision_only_when_asked(
        setup: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A results folder started in bf16 is refused on an fp32-only CPU unless --allow-precision-change; then
    protocol.json keeps the first precision, records both (each with every machine's reason), and the report
    names the rows run in each."""
    import transducer.precision as precision

    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    root = setup["root"]
    results = root / "two-machines"
    monkeypatch.setattr(precision, "cpu_flags", lambda *_: frozenset({"avx2", "amx_bf16"}))
    main([*_args(root, "--methods", "no_finetune"), "--results", str(results)])
    monkeypatch.setattr(precision, "cpu_flags", lambda *_: frozenset({"avx2"}))
    with pytest.raises(SystemExit, match="differs in precision.*--allow-precision-change"):
        main([*_args(root, "--methods", "no_finetune"), "--results", str(results)])
    (results / "no_finetune" / "seed0" / "result.json").unlink()  # rerun the row here
    main([*_args(root, "--methods", "no_finetune"), "--results", str(results), "--allow-precision-change"])

    protocol = json.loads((results / "protocol.json").read_text())
    assert protocol["precision"] == "bf16-mixed"
    assert set(protocol["precisions"]) == {"bf16-mixed", "32-true"}
    result = json.loads((results / "no_finetune" / "seed0" / "result.json").read_text())
    assert result["precision"] == "32-true"
    report = (results / "report.md").read_text()
    assert "Precision by sitting: bf16-mixed (auto: this CPU has amx_bf16); 32-true (auto: this CPU has no" in report
    runs = json.loads((results / "runs.json").read_text())
    assert [r["precision"] for r in runs] == ["bf16-mixed", "32-true"] and all(r["cpu"] for r in runs)
    assert "--allow-precision-change" in report.splitlines()[-1]  # the command to continue says so

    monkeypatch.setattr(precision, "cpu_flags", lambda *_: frozenset({"avx2", "avx512_bf16"}))  # a third machine
    main([*_args(root, "--methods", "no_finetune"), "--results", str(results), "--allow-precision-change"])
    reasons = json.loads((results / "protocol.json").read_text())["precisions"]["bf16-mixed"]
    assert reasons == "auto: this CPU has amx_bf16; auto: this CPU has avx512_bf16"  # both bf16 machines' words


def _tl_codesum(root: Path) -> Path:
    """Three TL-CodeSum-format pairs (``<id>\\t<tokens>``), the first a training source tokenised with spaces."""
    folder = root / "tl-codesum"
    folder.mkdir()
    code = ["int add ( int a , int b ) { return a + b ; }", "void run ( ) { }", "int one ( ) { return 1 ; }"]
    (folder / "valid.token.code").write_text("".join(f"{10 + i}\t{c}\n" for i, c in enumerate(code)))
    (folder / "valid.token.nl").write_text("".join(f"{10 + i}\tsummary number {i}\n" for i in range(3)))
    return folder


def _built_data(root: Path, task: str) -> Path:
    """Tiny data in the layout ``transducer data build`` writes: train 12, validation 10, test 4 pairs; the first
    test pair repeats a training source, so the retrieval baseline gets it right."""
    pairs = TASK_EXAMPLES[task]
    rows = {split: [(s.replace("a", f"a{split[0]}{i}"), t) for i in range(count // len(pairs) + 1) for s, t in pairs][:count]
            for split, count in (("train", 12), ("validation", 10), ("test", 4))}
    rows["test"][0] = rows["train"][0]
    folder = root / task
    for split, split_rows in rows.items():
        if task == "assert_generation":
            name = {"train": "Training", "validation": "Eval", "test": "Testing"}[split]
            (folder / name).mkdir(parents=True, exist_ok=True)
            (folder / name / "testMethods.txt").write_text("".join(s + "\n" for s, _ in split_rows))
            (folder / name / "assertLines.txt").write_text("".join(t + "\n" for _, t in split_rows))
        else:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{split}.jsonl").write_text("".join(
                json.dumps({"id": f"{split}-{i}", "source": s, "target": t, "language": "java"}) + "\n"
                for i, (s, t) in enumerate(split_rows)))
    return folder


@pytest.mark.parametrize("task, official, label", [("assert_generation", "exact_match", "EM"),
                                                   ("code_summarization", "bleu", "BLEU-4")])
def test_the_comparison_runs_on_the_built_tasks(setup: dict[str, Path], tmp_path: Path, task: str, official: str,
                                                label: str) -> None:
    """Dev pairs come from the validation split (train keeps all its pairs), the test split is scored with the task's
    official score, the retrieval baseline is a row, and a report with every row asked for states its verdict."""
    data = _built_data(tmp_path, task)
    results = tmp_path / "results"
    external = ["--external-data", str(_tl_codesum(tmp_path))] if task == "code_summarization" else []
    main(["--task", task, "--data", str(data), "--backbone", str(setup["root"] / "backbone"), "--results",
          str(results), "--work-dir", str(tmp_path / "work"), "--dev-size", "2", "--batch-size", "8",
          "--max-new-tokens", "6", "--grid-extensions", "0", "--seeds", "0", "--no-benchmarks-md",
          "--methods", "transducer_no_graph", "transducer", *external])
    protocol = json.loads((results / "protocol.json").read_text())
    assert protocol["task"] == task and protocol["train_pairs"] == 12 and protocol["dev_pairs"] == 2
    run = json.loads((results / "transducer_no_graph" / "seed0" / "result.json").read_text())
    assert official in run["metrics"] and "chrf" in run["metrics"] and "corpus_bleu" not in run["metrics"]
    assert len((results / "transducer_no_graph" / "seed0" / "predictions.jsonl").read_text().splitlines()) == 4
    retrieved = [json.loads(line) for line in (results / "retrieval_bm25" / "seed0" / "predictions.jsonl").open()]
    assert retrieved[0]["prediction"] == TASK_EXAMPLES[task][0][1]  # its source is in train: that pair's target
    report = (results / "report.md").read_text()
    assert f"| {label} per seed |" in report and "drawn from the validation split" in report
    assert "scored on the 4 test pairs" in report and "| retrieval_bm25 |" in report
    assert "**Examples** (4 test pairs" in report and report.count("   - reference: ") == 4  # all 4 there are
    assert report.count("   - retrieval_bm25: ") == 4 and report.count("   - transducer_no_graph: ") == 4
    assert "**Verdict** (rules" in report and "Not finished" not in report  # every row asked for is there
    if task == "code_summarization":  # the external set: every pair of it, scored from the same best checkpoint
        assert protocol["external"]["set"] == "tl_codesum_validation" and protocol["external"]["pairs"] == 3
        assert set(run["external"]["metrics"]) == set(run["metrics"]) and run["external"]["generate_s"] >= 0
        predictions = (results / "transducer_no_graph" / "seed0" / "predictions_external.jsonl").read_text()
        assert sorted(json.loads(line)["id"] for line in predictions.splitlines()) == ["10", "11", "12"]
        retrieved = json.loads((results / "retrieval_bm25" / "seed0" / "result.json").read_text())["external"]
        assert 0 <= retrieved["metrics"]["bleu"] <= 100
        assert "**External: TL-CodeSum validation" in report and "3 of its 3 pairs" in report
