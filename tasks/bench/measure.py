"""``transducer bench``'s measurements, one fresh worker process per method and round: parameters, adapter size,
peak memory, training-step time and generation time."""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from tasks.bench.inputs import synthetic_batch
from tasks.bench.settings import BenchSettings, EfficiencyRow, MethodRuns


def _read_status_kib(key: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` value from ``/proc/self/status`` in KiB, or ``None`` off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class _MemoryMeter:
    """Memory after building and peak memory of what follows: CUDA allocations, or the process's resident set."""

    def __init__(self, device: str) -> None:
        self.cuda = device.startswith("cuda")
        self.resettable = False
        gc.collect()
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.baseline = torch.cuda.memory_allocated()
            self.source = "cuda max_memory_allocated"
            return
        try:  # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS
            Path("/proc/self/clear_refs").write_text("5")
            self.resettable = True
            self.baseline = 1024 * (_read_status_kib("VmRSS") or 0)
            self.source = "cpu peak RSS (VmHWM, reset after build)"
        except OSError:
            self.baseline = _max_rss_bytes()
            self.source = "cpu peak RSS (ru_maxrss since process start)"

    def peak(self) -> int:
        if self.cuda:
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated()
        hwm = _read_status_kib("VmHWM") if self.resettable else None
        return _max_rss_bytes() if hwm is None else 1024 * hwm


def _max_rss_bytes() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage if sys.platform == "darwin" else usage * 1024  # bytes on macOS, KiB on Linux


def _synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _directory_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


#: method-name suffixes and the memory levers they turn on (``int8``: the backbone quantized, as ``qlora`` implies)
LEVER_SUFFIXES = {"bf16": {"frozen_dtype": "bfloat16"}, "checkpointing": {"gradient_checkpointing": True},
                  "int8": {"quantization": "int8"}}


def parse_method_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"transducer+bf16+checkpointing"`` -> ``("transducer", {frozen_dtype: bfloat16, gradient_checkpointing: True})``."""
    from transducer.methods import method_names

    method, *suffixes = spec.split("+")
    if method not in method_names():
        raise ValueError(f"unknown method {method!r} in {spec!r}; available: {', '.join(method_names())}")
    unknown = [s for s in suffixes if s not in LEVER_SUFFIXES]
    if unknown:
        raise ValueError(f"unknown memory lever {unknown[0]!r} in {spec!r}; available: {', '.join(LEVER_SUFFIXES)}")
    levers: dict[str, Any] = {"quantization": "int8"} if method == "qlora" else {}
    for suffix in suffixes:
        levers.update(LEVER_SUFFIXES[suffix])
    return method, levers


def measure_method(spec: str, settings: BenchSettings) -> EfficiencyRow:
    """Build the method of ``spec`` (with its memory levers) on a fresh backbone and measure it (in this process:
    run one method per process)."""
    from contextlib import nullcontext

    from transducer.memory import (
        MemoryLevers,
        apply_memory_levers,
        check_precision_for_levers,
    )
    from transducer.methods import build_method

    method, lever_options = parse_method_spec(spec)
    quantization = lever_options.pop("quantization", None)
    levers = MemoryLevers(**lever_options)
    check_precision_for_levers(levers, settings.precision)
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    backbone, tokenizer = settings.load_backbone(quantization)
    backbone_params = sum(p.numel() for p in backbone.parameters())
    vocab_size = backbone.get_input_embeddings().num_embeddings
    model = build_method(method, backbone, tokenizer, **settings.method_options.get(method, {})).to(settings.device)
    apply_memory_levers(model, backbone, levers)
    autocast = (torch.autocast(settings.device, dtype=torch.bfloat16) if settings.precision == "bf16-mixed"
                else nullcontext())
    trainable_params, total_params = model.trainable_parameters()
    with tempfile.TemporaryDirectory() as directory:
        model.save_pretrained(directory)
        adapter_bytes = _directory_bytes(Path(directory))
    batch = synthetic_batch(settings, model, vocab_size)

    meter = _MemoryMeter(settings.device)
    step_times, peak = None, None
    if trainable_params:
        model.train()
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        times = []
        for _ in range(settings.warmup_steps + settings.steps):
            start = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = model(**batch["train"]).loss
            loss.backward()
            optimizer.step()
            _synchronize(settings.device)
            times.append(time.perf_counter() - start)
        step_times = times[settings.warmup_steps :]
        peak = meter.peak()
        del optimizer

    model.eval()
    generation = {"max_new_tokens": settings.new_tokens, "min_new_tokens": settings.new_tokens,
                  "num_beams": settings.num_beams, "do_sample": False}  # fmt: skip
    with autocast:
        model.generate(**batch["generate"], **{**generation, "max_new_tokens": 1, "min_new_tokens": 1})  # warmup
    _synchronize(settings.device)
    start = time.perf_counter()
    with autocast:
        output = model.generate(**batch["generate"], **generation)
    _synchronize(settings.device)
    generation_time = (time.perf_counter() - start) / settings.batch_size
    if output.shape[1] < settings.new_tokens:
        raise RuntimeError(f"{method} generated {output.shape[1]} tokens per sample, expected {settings.new_tokens}")
    return EfficiencyRow(
        method=spec,
        trainable_params=trainable_params,
        backbone_params=backbone_params,
        total_params=total_params,
        adapter_bytes=adapter_bytes,
        memory_after_build_bytes=meter.baseline,
        peak_memory_bytes=peak,
        memory_source=meter.source,
        step_times_s=step_times,
        generation_time_per_sample_s=generation_time,
    )


def measure_in_subprocess(method: str, settings: BenchSettings) -> EfficiencyRow:
    """Run :func:`measure_method` in a fresh Python process (``python -m tasks.bench --worker``)."""
    with tempfile.TemporaryDirectory() as directory:
        result = Path(directory) / "row.json"
        command = [sys.executable, "-m", "tasks.bench", "--worker", method,
                   "--worker-settings", json.dumps(dataclasses.asdict(settings)), "--worker-result", str(result)]  # fmt: skip
        process = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if process.returncode != 0 or not result.is_file():
            tail = "\n".join(process.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"measuring {method!r} failed (exit code {process.returncode}):\n{tail}")
        return EfficiencyRow(**json.loads(result.read_text()))


def run_bench(settings: BenchSettings, log: Callable[[str], None] = print) -> tuple[list[MethodRuns], dict[str, str]]:
    """Measure every method of ``settings`` ``repeats`` times in interleaved rounds; returns each method's runs and
    ``{method: error}`` for methods that failed (a method that fails once is dropped from later rounds)."""
    runs: dict[str, list[EfficiencyRow]] = {method: [] for method in settings.methods}
    failures: dict[str, str] = {}
    for round_index in range(settings.repeats):
        for method in settings.methods:
            if method in failures:
                continue
            log(f"[bench] round {round_index + 1}/{settings.repeats}: measuring {method} ...")
            try:
                runs[method].append(measure_in_subprocess(method, settings))
            except RuntimeError as error:
                failures[method] = str(error)
                log(f"[bench] {error}")
    return [MethodRuns(m, r) for m, r in runs.items() if m not in failures], failures
