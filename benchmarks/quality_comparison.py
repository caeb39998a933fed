"""The quality comparison, protocol v2: every adaptation method on one frozen pretrained backbone, three seeds per
trained row (:mod:`tasks.comparison`; the protocol in words is in ``tasks/comparison/protocol.py``), on one task:
CodeXGLUE Java→C# (the default), or the summarization and assert-generation sets ``transducer data build all``
writes (:mod:`tasks.comparison.task_setups`).

    nohup python benchmarks/quality_comparison.py --jobs 2 > outputs/quality_v2.log 2>&1 &
    nohup python benchmarks/quality_comparison.py --task assert_generation --jobs 2 --one-seed-first \
        --max-source-length 512 --max-target-length 128 --max-new-tokens 128 --methods no_finetune transducer \
        transducer_no_graph lora prefix_tuning full_finetune > outputs/assert_generation_v2.log 2>&1 &

``--one-seed-first`` runs every method's grid and first seed before any method's other seeds, so a sitting that
ends early leaves a complete one-seed table rather than some methods with three seeds and others with none.
``--start-nothing-after 2h20m`` starts no grid point or seed once that much time has passed (those running
finish), for sittings with a time limit: the invocation ends at a result boundary and is logged in ``runs.json``.
Resumable: every finished grid point and seed is a file under ``--results`` (committed), so rerunning the same
command continues where the last one stopped. ``--report`` only renders ``report.md`` and the v2 section of
``BENCHMARKS.md`` from what is finished. The script runs with ``PYTHONHASHSEED=0`` (it restarts itself with it):
CodeBLEU's data-flow match depends on the hash seed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import time
from dataclasses import asdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tasks.comparison.pipeline import (  # noqa: E402
    StartBy,
    copy_baseline,
    log_invocation,
    retrieval_baseline,
    run_methods,
    write_json,
)
from tasks.comparison.protocol import (  # noqa: E402
    COPY_BASELINE,
    DEFAULT_METHODS,
    LEARNING_RATE_GRIDS,
    PRECISIONS,
    RETRIEVAL_BASELINE,
    Protocol,
)
from tasks.comparison.task_setups import TASKS  # noqa: E402

#: protocol.json entries that explain a setting rather than make one (a run may continue where they read otherwise)
EXPLANATIONS = frozenset({"precision_reason", "selection_rule", "checkpoint_rule"})
TRANSLATION = "code_translation"


def benchmarks_markers(task: str) -> tuple[str, str]:
    """The markers around a task's v2 section in BENCHMARKS.md (translation's predate the other tasks)."""
    name = "quality-comparison-v2" if task == TRANSLATION else f"quality-comparison-v2-{task}"
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def default_folder(task: str, parent: Path) -> Path:
    return parent / ("java_cs_quality_v2" if task == TRANSLATION else f"{task}_quality_v2")


def update_benchmarks_md(report: str, task: str) -> None:
    """Replace the task's v2 quality section of BENCHMARKS.md (between its markers) with ``report``."""
    path = REPO_ROOT / "BENCHMARKS.md"
    start, end = benchmarks_markers(task)
    text = path.read_text()
    if start not in text:
        raise ValueError(f"BENCHMARKS.md has no {start} marker for the task's v2 quality section")
    body = f"{start}\n{report}{end}"
    path.write_text(re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: body, text, flags=re.DOTALL))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=list(TASKS), default=TRANSLATION)
    parser.add_argument("--data", type=Path, help="the task's data folder (default: per task, see task_setups)")
    parser.add_argument("--backbone", default="models/code-t5-mini")
    parser.add_argument("--results", type=Path,
                        help="default: benchmarks/results/java_cs_quality_v2 (translation), <task>_quality_v2")
    parser.add_argument("--work-dir", type=Path, help="default: outputs/quality_v2 (translation), <task>_quality_v2")
    parser.add_argument("--methods", nargs="*", default=list(DEFAULT_METHODS),
                        help=f"methods to run, in order (default: {' '.join(DEFAULT_METHODS)}; also available: "
                             f"{' '.join(m for m in LEARNING_RATE_GRIDS if m not in DEFAULT_METHODS)})")
    parser.add_argument("--jobs", type=int, default=1, help="methods trained at once (each with cores/jobs threads)")
    parser.add_argument("--one-seed-first", action="store_true",
                        help="every method's grid and first seed before any method's other seeds: a complete "
                             "one-seed table first (default: each method's grid and seeds, then the next method)")
    parser.add_argument("--start-nothing-after", type=_duration, metavar="DURATION",
                        help="start no grid point or seed once this much time has passed since the start, e.g. "
                             "2h20m, 90m, 45s (those running finish; the rest waits for the next invocation)")
    parser.add_argument("--report", action="store_true", help="only render the report from finished runs")
    parser.add_argument("--no-benchmarks-md", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--allow-precision-change", action="store_true",
                        help="continue a results folder on a machine whose precision (chosen by hardware) differs "
                             "from its earlier sittings'; every result records its precision and the report lists "
                             "the rows trained in each")
    parser.add_argument("--limit", type=int, help="read only the first N pairs of each split (smoke tests)")
    parser.add_argument("--external-data", type=Path,
                        help="the folder of the task's external set (summarization: TL-CodeSum validation; default "
                             "../shared/data/tl-codesum; scored only where it exists)")
    for field in dataclasses.fields(Protocol):
        if not field.init:
            continue
        flag = f"--{field.name.replace('_', '-')}"
        if isinstance(field.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default)
        elif isinstance(field.default, tuple):
            parser.add_argument(flag, type=int, nargs="+", default=list(field.default))
        else:
            parser.add_argument(flag, type=type(field.default), default=field.default)
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    unknown = sorted(set(args.methods) - set(LEARNING_RATE_GRIDS))
    if unknown:
        parser.error(f"unknown methods {unknown}; available: {', '.join(LEARNING_RATE_GRIDS)}")
    task = TASKS[args.task]
    args.data = args.data or task.default_data
    args.results = args.results or default_folder(args.task, REPO_ROOT / "benchmarks" / "results")
    args.work_dir = args.work_dir or (REPO_ROOT / "outputs" / "quality_v2" if args.task == TRANSLATION
                                      else default_folder(args.task, REPO_ROOT / "outputs"))
    if not args.data.is_dir():
        hint = " (run `transducer data build all`)" if args.task != TRANSLATION else ""
        parser.error(f"no data folder at {args.data}{hint}; pass --data")
    if task.external is None:
        args.external_data = None
    elif args.external_data is None:
        folder = task.external.default_data
        args.external_data = folder if folder.is_dir() else None
        if args.external_data is None:
            print(f"no {task.external.title} at {folder}: its table stays empty (pass --external-data)", flush=True)
    elif not args.external_data.is_dir():
        parser.error(f"no folder at --external-data {args.external_data}")
    return args


def _duration(text: str) -> float:
    """``2h20m``, ``90m``, ``45s``, ``1.5h`` -> seconds."""
    match = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?", text.strip())
    if not text.strip() or match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; write it as hours, minutes and seconds, "
                                         "e.g. 2h20m, 90m or 45s")
    hours, minutes, seconds = (float(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _flag_value(value: object) -> str:
    """A protocol value as the command line takes it."""
    return " ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _with_reason(precisions: dict[str, str], precision: str, reason: str) -> dict[str, str]:
    """``precisions`` with ``reason`` added to ``precision``'s reasons (machines differ: a second CPU with native
    bf16 may have other flags than the first)."""
    reasons = [r for r in precisions.get(precision, "").split("; ") if r]
    return {**precisions, precision: "; ".join(reasons if reason in reasons else [*reasons, reason])}


def main(argv: list[str] | None = None) -> None:
    if os.environ.get("PYTHONHASHSEED") != "0" and argv is None:  # CodeBLEU's data-flow match depends on it
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    args = parse_arguments(argv)
    start_by = None if args.start_nothing_after is None else StartBy.after(args.start_nothing_after)
    from transducer.quiet import quiet_third_party_noise

    quiet_third_party_noise()
    from tasks.comparison.data import prepare_splits, read_jsonl
    from tasks.comparison.report import render_report
    from transducer.backbone import weights_fingerprint
    from transducer.precision import resolve_precision

    task = TASKS[args.task]
    protocol = Protocol(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Protocol) if f.init})
    paths = prepare_splits(task, args.data, args.work_dir, protocol, args.limit, args.external_data)
    train_pairs = len(read_jsonl(paths["train"]))
    precision = resolve_precision(protocol.precision, "auto")
    from transformers import AutoModelForSeq2SeqLM

    settings = {
        "task": task.name, **asdict(protocol), "backbone": args.backbone,
        "backbone_weights": weights_fingerprint(AutoModelForSeq2SeqLM.from_pretrained(args.backbone)),
        "train_pairs": train_pairs, "dev_pairs": len(read_jsonl(paths["dev"])),
        "final_steps": protocol.final_steps(train_pairs), "selection_steps": protocol.selection_steps(train_pairs),
        "evaluation_interval": protocol.evaluation_interval(train_pairs), "limit": args.limit,
        "selection_rule": "lowest teacher-forced dev loss after selection_steps; ties: the smaller rate",
        "checkpoint_rule": "lowest teacher-forced dev loss over the final run's evaluations",
        "precision": precision.precision, "precision_reason": precision.reason,
    }
    if "external" in paths:
        settings["external"] = {"set": task.external.name, "pairs": len(read_jsonl(paths["external"])),
                                "of": len(task.external.read(args.external_data)), "drawn_with": "data_seed"}
    settings = json.loads(json.dumps(settings))  # as protocol.json holds it (tuples become lists)
    args.results.mkdir(parents=True, exist_ok=True)
    saved = args.results / "protocol.json"
    precisions = {precision.precision: precision.reason}
    if saved.exists():
        before = {"task": TRANSLATION, **json.loads(saved.read_text())}  # written before tasks were recorded
        precisions = _with_reason(before.get(PRECISIONS, {before["precision"]: before["precision_reason"]}),
                                  precision.precision, precision.reason)
        changed = sorted(k for k in (set(before) | set(settings)) - EXPLANATIONS - {PRECISIONS}
                         if before.get(k) != settings.get(k))
        if changed == ["precision"] and args.allow_precision_change:
            print(f"continuing {args.results} in {precision.precision} (its earlier sittings: {before['precision']})",
                  flush=True)
        elif changed:
            hint = (" or pass --allow-precision-change to continue it on this machine" if changed == ["precision"]
                    else "")
            raise SystemExit(f"{args.results} holds results of another protocol, backbone, data or machine setting "
                             f"(differs in {', '.join(changed)}); use another --results folder{hint}")
        # the first sitting's precision and words stay the folder's; PRECISIONS lists every sitting's
        settings = {**settings, **{k: before[k] for k in (*EXPLANATIONS, "precision") if k in before}}
    if len(precisions) > 1:
        settings[PRECISIONS] = precisions
    write_json(saved, settings)
    print(precision.describe(), flush=True)
    baselines = [COPY_BASELINE] if task.copy_baseline else []
    retrieval_baseline(task, args.results, paths)  # cheap, no model: the report has it from the first sitting
    if not args.report:
        if task.copy_baseline:
            copy_baseline(task, args.results, paths["scored"])
        started = time.perf_counter()
        finished = run_methods(task, args.methods, paths, protocol, args.backbone, args.results, args.work_dir,
                               precision.precision, args.jobs, args.one_seed_first, start_by)
        stopped_by = None if finished else f"--start-nothing-after {args.start_nothing_after:g}s"
        log_invocation(args.results / "runs.json", args.methods, args.jobs, time.perf_counter() - started,
                       precision.precision, stopped_by)
    changed = " ".join(f"--{f.name.replace('_', '-')} {_flag_value(getattr(protocol, f.name))}"
                       for f in dataclasses.fields(Protocol) if f.init and getattr(protocol, f.name) != f.default)
    if PRECISIONS in settings:  # the folder already spans machines: the next sitting may run on either kind
        changed = f"{changed} --allow-precision-change".strip()
    if args.one_seed_first:
        changed = f"{changed} --one-seed-first".strip()
    if task.name == TRANSLATION:
        command = f"nohup python benchmarks/quality_comparison.py --jobs 2 {changed}".rstrip()
        command += " > outputs/quality_v2.log 2>&1 &"
    else:
        command = (f"nohup python benchmarks/quality_comparison.py --task {task.name} --jobs 2 {changed} --methods "
                   f"{' '.join(args.methods)} > outputs/{task.name}_v2.log 2>&1 &").replace("  ", " ")
    expected = [*baselines, RETRIEVAL_BASELINE, *(DEFAULT_METHODS if task.name == TRANSLATION else args.methods)]
    report = render_report(task, args.results, paths["scored"], protocol, settings, command, expected)
    if not args.no_benchmarks_md and args.limit is None:
        update_benchmarks_md(report, task.name)
    print(report)


if __name__ == "__main__":
    main()
