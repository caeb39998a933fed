"""Wall time of the README's quickstart, as a user runs it, in two precisions, interleaved.

    python benchmarks/quickstart_wall_time.py --repeat 2

Modes: ``auto`` (the config as shipped: bf16-mixed where the CPU has AVX-512-BF16/AMX, else fp32) and ``avx2-fp32``
(fp32, with torch, oneDNN and MKL held to their AVX2 kernels: what a CPU without AVX-512 runs, on this machine's
cores and clock). Each run starts from an empty output folder (the graph cache stays warm: extraction takes under
a second either way). Prints one line per run: wall time, the run's own time split, and the printed scores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
AVX2_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}
MODES = {"auto": ({}, []), "avx2-fp32": (AVX2_KERNELS, ["--trainer.precision", "32-true"])}


def run_once(mode: str, root: Path) -> str:
    environment, extra = MODES[mode]
    shutil.rmtree(root, ignore_errors=True)
    command = [sys.executable, "-m", "tasks.commands", "fit", "--config", "configs/quickstart.yaml",
               "--trainer.default_root_dir", str(root), *extra]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO_ROOT, env={**os.environ, **environment}, capture_output=True, text=True)
    wall = time.perf_counter() - started
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(f"{mode}: exit {result.returncode}\n{output[-3000:]}")
    split = re.search(r"time: (.*)", output)
    bleu = re.search(r"^test_bleu\s+(\S+)\s+(\S+)", output, re.MULTILINE)
    warnings = sum("warn" in line.lower() for line in output.replace("\r", "\n").splitlines())
    return (f"{mode:10s} wall {wall:5.1f} s | {split.group(1) if split else '?'} | test BLEU "
            f"{bleu.group(1) if bleu else '?'} -> {bleu.group(2) if bleu else '?'} | lines with 'warn': {warnings}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeat):
            for mode in args.modes:
                print(f"run {repeat + 1}: {run_once(mode, Path(folder) / mode)}", flush=True)


if __name__ == "__main__":
    main()
