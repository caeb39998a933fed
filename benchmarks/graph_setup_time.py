"""Time from data to the first training step for the transducer on CodeXGLUE Java: graph extraction (or the
cache) and node-text tokenization, as the data module does them.

    python benchmarks/graph_setup_time.py --backbone models/code-t5-mini     # run twice: the second run is warm

Prints the seconds of each phase on the 10,295 training methods.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cpg
from transducer import TransducerConfig
from transducer.backbone import load_backbone

REPO_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="one Java method per line",
                        default=REPO_ROOT.parent / "shared" / "data" / "codexglue-java-cs" / "train.java-cs.txt.java")
    parser.add_argument("--backbone", default=str(REPO_ROOT / "models" / "code-t5-mini"))
    parser.add_argument("--cache-dir", default=None, help="graph cache (default: the harness's)")
    args = parser.parse_args(argv)
    backbone, tokenizer = load_backbone(args.backbone)
    model = TransducerConfig().build(backbone, tokenizer)
    sources = [line for line in args.data.read_text(encoding="utf-8").split("\n") if line]
    started = time.perf_counter()
    graphs = cpg.extract_many(sources, "java", cache_dir=args.cache_dir, num_workers=1).graphs
    extracted = time.perf_counter()
    model.encode_graphs(graphs)
    encoded = time.perf_counter()
    print(f"{len(sources)} methods: graphs {extracted - started:.2f} s, node-text tokenization {encoded - extracted:.2f} s, "
          f"total {encoded - started:.2f} s")


if __name__ == "__main__":
    main()
