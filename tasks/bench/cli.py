"""``transducer bench``'s command line (and the worker entry that measures one method in a subprocess)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import torch

from tasks.bench.measure import (
    LEVER_SUFFIXES,
    measure_method,
    parse_method_spec,
    run_bench,
)
from tasks.bench.report import write_outputs
from tasks.bench.settings import CODET5P_220M_CONFIG, BenchSettings


def _json_argument(value: str) -> Any:
    """A JSON string, or the path of a JSON file."""
    path = Path(value)
    try:
        return json.loads(path.read_text() if path.is_file() else value)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON (nor a JSON file): {value!r}: {error}") from error


def _method_spec(value: str) -> str:
    try:
        parse_method_spec(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return value


def build_parser() -> argparse.ArgumentParser:
    from transducer.methods import METHODS, PRESETS

    parser = argparse.ArgumentParser(
        prog="transducer bench",
        description="Compare the cost of every adaptation method (trainable parameters, adapter size, training "
        "memory, step time, generation time) on one backbone and one synthetic batch.",
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), type=_method_spec, metavar="METHOD",
                        help=f"methods to measure (default: all): {', '.join(METHODS)}; or presets: "
                        f"{', '.join(PRESETS)}; memory levers as suffixes, "
                        f"e.g. transducer+bf16+checkpointing ({', '.join(LEVER_SUFFIXES)})")
    backbone = parser.add_mutually_exclusive_group()
    backbone.add_argument("--backbone-config", type=_json_argument, default=None,
                          help="backbone config as JSON (or a JSON file) with model_type, built with random weights "
                          "(default: the CodeT5+ 220M architecture)")
    backbone.add_argument("--backbone", default=None, help="hub name or folder of a pretrained backbone")
    parser.add_argument("--tokenizer", default=None,
                        help="tokenizer for graph node texts (default: the backbone's; 'byte' for --backbone-config)")
    parser.add_argument("--method-options", type=_json_argument, default={},
                        help='per-method hyperparameters as JSON, e.g. \'{"lora": {"r": 16}}\'')
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--source-length", type=int, default=128)
    parser.add_argument("--target-length", type=int, default=32)
    parser.add_argument("--nodes-per-graph", type=int, default=60)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per run (their median is the run's)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per method, in interleaved rounds (default 3)")
    parser.add_argument("--warmup-steps", type=int, default=1)
    parser.add_argument("--new-tokens", type=int, default=None, help="tokens generated per sample (default: target length)")
    parser.add_argument("--num-beams", type=int, default=1)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--precision", choices=("fp32", "bf16-mixed", "auto"), default="fp32",
                        help="autocast of every method's steps and generation (+bf16 levers need bf16-mixed); auto: "
                        "bf16-mixed where the device computes bf16 natively, else fp32")
    parser.add_argument("--output-dir", type=Path, default=Path("outputs/bench"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-config", type=Path, default=None,
                        help="a harness config (data + pretrained backbone): also train and test every method with "
                        "it and add quality columns with a paired significance test of the transducer vs each")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-settings", help=argparse.SUPPRESS)
    parser.add_argument("--worker-result", type=Path, help=argparse.SUPPRESS)
    return parser


def settings_from_args(args: argparse.Namespace) -> BenchSettings:
    for name in ("batch_size", "source_length", "target_length", "nodes_per_graph", "steps", "num_beams", "repeats"):
        if getattr(args, name) < 1:
            raise SystemExit(f"transducer bench: --{name.replace('_', '-')} must be >= 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("transducer bench: --device cuda given but torch sees no CUDA device")
    measured = {parse_method_spec(spec)[0] for spec in args.methods}
    if args.precision == "auto":
        from transducer.precision import BF16, resolve_precision

        choice = resolve_precision("auto", args.device)
        print(choice.describe(), file=sys.stderr)
        args.precision = "bf16-mixed" if choice.precision == BF16 else "fp32"
    if args.precision == "fp32" and any("+bf16" in spec for spec in args.methods):
        raise SystemExit("transducer bench: +bf16 (frozen weights in bf16) needs --precision bf16-mixed")
    unknown = sorted(set(args.method_options) - measured)
    if unknown:
        raise SystemExit(f"transducer bench: --method-options for methods not measured: {unknown}")
    return BenchSettings(
        methods=list(args.methods),
        backbone_config=None if args.backbone else (args.backbone_config or dict(CODET5P_220M_CONFIG)),
        backbone=args.backbone,
        tokenizer=args.tokenizer,
        method_options=args.method_options,
        batch_size=args.batch_size,
        source_length=args.source_length,
        target_length=args.target_length,
        nodes_per_graph=args.nodes_per_graph,
        steps=args.steps,
        warmup_steps=args.warmup_steps,
        new_tokens=args.new_tokens or args.target_length,
        num_beams=args.num_beams,
        device=args.device,
        seed=args.seed,
        repeats=args.repeats,
        precision=args.precision,
    )


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.worker:
        row = measure_method(args.worker, BenchSettings(**json.loads(args.worker_settings)))
        args.worker_result.write_text(json.dumps(dataclasses.asdict(row)))
        return
    settings = settings_from_args(args)
    if args.train_config is not None and not args.train_config.is_file():
        raise SystemExit(f"transducer bench: --train-config {args.train_config} not found")
    rows, failures = run_bench(settings)
    report = write_outputs(rows, settings, failures, args.output_dir)
    if args.train_config is not None:
        from tasks.comparison.config_runs import run_quality

        quality = run_quality(settings.methods, args.train_config, args.output_dir / "quality", settings.method_options)
        report += "\n" + quality
        (args.output_dir / "bench.md").write_text(report)
    print(report)
    print(f"[bench] wrote {args.output_dir / 'bench.md'}, bench.png and bench.json")
    if failures:
        raise SystemExit(1)
