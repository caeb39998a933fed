"""CPG extraction throughput on one core: cold (fresh cache) vs cached, on real CodeXGLUE methods.

    python benchmarks/cpg_throughput.py --limit 2000
    python benchmarks/cpg_throughput.py --data ../shared/data/codexglue-java-cs/train.java-cs.txt.cs --language cs

Cold = tree-sitter extraction (AST + CFG + DDG + CDG) plus writing the cache entry, in this process
(``num_workers=1``). Cached = a second pass over the same cache folder. Cached graphs are lazy (their Node/Edge
objects are built on first access), so the second table also times building those objects and ``to_pyg()``.
Targets: >= 200 methods/s cold, cache hits >= 20x faster than cold.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from cpg import extract_many  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "codexglue-java-cs" / "train.java-cs.txt.java"
TARGET_COLD_RATE = 200.0
TARGET_SPEEDUP = 20.0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="one method per line")
    parser.add_argument("--limit", type=int, default=None, help="use the first N methods (default: all)")
    parser.add_argument("--language", default="java")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        raise SystemExit(f"no data file at {args.data}; pass --data PATH (one method per line)")
    codes = args.data.read_text(encoding="utf-8").splitlines()[: args.limit]
    count = len(codes)

    with tempfile.TemporaryDirectory(prefix="cpg-bench-") as cache_dir:
        run = lambda: extract_many(codes, args.language, cache_dir=cache_dir, num_workers=1, progress=False)  # noqa: E731
        cold_s, cold = _timed(run)
        cached_s, cached = _timed(run)
        objects_s, _ = _timed(lambda: [(g.nodes, g.edges) for g in cached.graphs])
        pyg_s, _ = _timed(lambda: [g.to_pyg() for g in run().graphs])
    assert cold.num_extracted == count and cached.num_cache_hits == count, (cold.summary(), cached.summary())
    assert cached.graphs == cold.graphs
    nodes = sum(g.num_nodes for g in cold.graphs) / max(count, 1)
    edges = sum(len(g.edges) for g in cold.graphs) / max(count, 1)
    cold_rate, cached_rate = count / cold_s, count / cached_s

    print(f"## CPG extraction throughput ({args.language}, tree-sitter, one core)\n")
    print(f"data: {args.data} ({count} methods; mean {nodes:.0f} nodes, {edges:.0f} edges per graph)")
    print(
        f"machine: {platform.platform()}, Python {platform.python_version()}, {_cpu_model()}, "
        f"{os.cpu_count()} cores visible; tree-sitter {version('tree-sitter')}\n"
    )
    print("| methods | cold s | cached s | methods/s cold | methods/s cached | speedup |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {count} | {cold_s:.2f} | {cached_s:.3f} | {cold_rate:.0f} | {cached_rate:.0f} | {cold_s / cached_s:.1f}x |")
    print("\n| cached pass, then... | extra s | methods/s (cached + extra) |")
    print("|---|---:|---:|")
    print(f"| build Node/Edge objects | {objects_s:.3f} | {count / (cached_s + objects_s):.0f} |")
    print(f"| to_pyg() (timed with a fresh cached pass) | {pyg_s - cached_s:.3f} | {count / pyg_s:.0f} |")
    print(f"\ncold: {cold.summary()}\ncached: {cached.summary()}")
    print(f"target >= {TARGET_COLD_RATE:.0f} methods/s cold: {'met' if cold_rate >= TARGET_COLD_RATE else 'MISSED'}")
    print(f"target cache >= {TARGET_SPEEDUP:.0f}x faster: {'met' if cold_s / cached_s >= TARGET_SPEEDUP else 'MISSED'}")


if __name__ == "__main__":
    main()
