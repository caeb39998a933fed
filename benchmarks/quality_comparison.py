"""The quality comparison, protocol v2: every adaptation method on one frozen pretrained backbone, CodeXGLUE
Java→C#, three seeds per trained row (:mod:`tasks.comparison`; the protocol in words is in
``tasks/comparison/protocol.py``).

    nohup python benchmarks/quality_comparison.py --jobs 2 > outputs/quality_v2.log 2>&1 &

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

from tasks.comparison.pipeline import copy_baseline, log_invocation, run_methods, write_json  # noqa: E402
from tasks.comparison.protocol import COPY_BASELINE, DEFAULT_METHODS, LEARNING_RATE_GRIDS, Protocol  # noqa: E402

#: protocol.json entries that explain a setting rather than make one (a run may continue where they read otherwise)
EXPLANATIONS = frozenset({"precision_reason", "selection_rule", "checkpoint_rule"})
BENCHMARKS_MARKERS = ("<!-- quality-comparison-v2:start -->", "<!-- quality-comparison-v2:end -->")


def update_benchmarks_md(report: str) -> None:
    """Replace the v2 quality section of BENCHMARKS.md (between its markers) with ``report``."""
    path = REPO_ROOT / "BENCHMARKS.md"
    start, end = BENCHMARKS_MARKERS
    text = path.read_text()
    if start not in text:
        raise ValueError(f"BENCHMARKS.md has no {start} marker for the v2 quality section")
    body = f"{start}\n{report}{end}"
    path.write_text(re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: body, text, flags=re.DOTALL))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "codexglue-java-cs")
    parser.add_argument("--backbone", default="models/code-t5-mini")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results" / "java_cs_quality_v2")
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / "outputs" / "quality_v2")
    parser.add_argument("--methods", nargs="*", default=list(DEFAULT_METHODS),
                        help=f"methods to run, in order (default: {' '.join(DEFAULT_METHODS)}; also available: "
                             f"{' '.join(m for m in LEARNING_RATE_GRIDS if m not in DEFAULT_METHODS)})")
    parser.add_argument("--jobs", type=int, default=1, help="methods trained at once (each with cores/jobs threads)")
    parser.add_argument("--report", action="store_true", help="only render the report from finished runs")
    parser.add_argument("--no-benchmarks-md", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--limit", type=int, help="read only the first N pairs of each split (smoke tests)")
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
    return args


def main(argv: list[str] | None = None) -> None:
    if os.environ.get("PYTHONHASHSEED") != "0" and argv is None:  # CodeBLEU's data-flow match depends on it
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    args = parse_arguments(argv)
    from transducer.quiet import quiet_third_party_noise

    quiet_third_party_noise()
    from tasks.comparison.data import prepare_splits, read_jsonl
    from tasks.comparison.report import render_report
    from transducer.backbone import weights_fingerprint
    from transducer.precision import resolve_precision

    protocol = Protocol(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Protocol) if f.init})
    paths = prepare_splits(args.data, args.work_dir, protocol, args.limit)
    train_pairs = len(read_jsonl(paths["train"]))
    precision = resolve_precision(protocol.precision, "auto")
    from transformers import AutoModelForSeq2SeqLM

    settings = {
        **asdict(protocol), "backbone": args.backbone,
        "backbone_weights": weights_fingerprint(AutoModelForSeq2SeqLM.from_pretrained(args.backbone)),
        "train_pairs": train_pairs, "dev_pairs": len(read_jsonl(paths["dev"])),
        "final_steps": protocol.final_steps(train_pairs), "selection_steps": protocol.selection_steps(train_pairs),
        "evaluation_interval": protocol.evaluation_interval(train_pairs), "limit": args.limit,
        "selection_rule": "lowest teacher-forced dev loss after selection_steps; ties: the smaller rate",
        "checkpoint_rule": "lowest teacher-forced dev loss over the final run's evaluations",
        "precision": precision.precision, "precision_reason": precision.reason,
    }
    settings = json.loads(json.dumps(settings))  # as protocol.json holds it (tuples become lists)
    args.results.mkdir(parents=True, exist_ok=True)
    saved = args.results / "protocol.json"
    if saved.exists():
        before = json.loads(saved.read_text())
        changed = sorted(k for k in (set(before) | set(settings)) - EXPLANATIONS if before.get(k) != settings.get(k))
        if changed:
            raise SystemExit(f"{args.results} holds results of another protocol, backbone, data or machine setting "
                             f"(differs in {', '.join(changed)}); use another --results folder")
        settings = {**settings, **{k: before[k] for k in EXPLANATIONS if k in before}}  # the first sitting's words
    write_json(saved, settings)
    print(precision.describe(), flush=True)
    if not args.report:
        copy_baseline(args.results, paths["valid"])
        started = time.perf_counter()
        run_methods(args.methods, paths, protocol, args.backbone, args.results, args.work_dir, precision.precision,
                    args.jobs)
        log_invocation(args.results / "runs.json", args.methods, args.jobs, time.perf_counter() - started)
    command = "nohup python benchmarks/quality_comparison.py --jobs 2 > outputs/quality_v2.log 2>&1 &"
    report = render_report(args.results, paths["valid"], protocol, settings, command,
                           [COPY_BASELINE, *DEFAULT_METHODS])
    if not args.no_benchmarks_md and args.limit is None:
        update_benchmarks_md(report)
    print(report)


if __name__ == "__main__":
    main()
