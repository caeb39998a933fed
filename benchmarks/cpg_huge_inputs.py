"""Cost of extracting a pathological input: one 10 MB line, or 50,000 lines (both cut before parsing).

    python benchmarks/cpg_huge_inputs.py wide     # one Java method of 10 MB on one line
    python benchmarks/cpg_huge_inputs.py tall     # one Java method of 50,000 lines

Run each shape in its own process: the peak RSS printed is the process's. Targets: under 2 s and 300 MB.
"""

from __future__ import annotations

import argparse
import resource
import time

import cpg


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shape", choices=("wide", "tall"))
    args = parser.parse_args(argv)
    if args.shape == "wide":
        code = "int f(int a) { int x = 0; " + "x = x + a * 2 - 1; " * (10_000_000 // 19) + "return x; }"
    else:
        code = "int f(int a) {\n  int x = 0;\n" + "  x = x + a;\n" * 50_000 + "  return x;\n}"
    started = time.perf_counter()
    graph = cpg.extract(code, "java")
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.shape}: {len(code) / 1e6:.1f} MB of code, {seconds:.2f} s, peak RSS {peak_mb:.0f} MB, "
          f"{graph.num_nodes} nodes; warnings: {graph.warnings}")


if __name__ == "__main__":
    main()
