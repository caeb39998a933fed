"""Time from data to the first training step for the transducer on CodeXGLUE Java→C#: what the data module does
before training (read the examples, count truncations, extract graphs or read them from the graph cache, tokenize
node texts or read the encoded split from its cache).

    python benchmarks/graph_setup_time.py --backbone models/code-t5-mini

Runs the data module's setup of the 10,295 training pairs ``--repeats`` times in each of two states, interleaved:
*encoding* (graph cache warm, encoded-graph cache emptied first: what a new tokenizer or width costs) and *warm*
(both caches filled: every later run). Prints min / median / max seconds of each.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from tasks.datamodule import CodeTaskDataModule
from transducer import TransducerConfig
from transducer.backbone import load_backbone

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data" / "codexglue-java-cs"


def setup_seconds(model, tokenizer, data: Path, cache_dir: Path) -> float:
    """Seconds of one data-module setup of the training split, as ``transducer fit`` does it."""
    module = CodeTaskDataModule(
        "code_translation",
        train={"format": "codexglue_translation", "source_path": str(data / "train.java-cs.txt.java"),
               "target_path": str(data / "train.java-cs.txt.cs")},
        cpg_cache_dir=str(cache_dir), extraction_workers=1, max_source_length=320, max_target_length=320,
    )
    module.connect(tokenizer, True, model.encode_graphs, model.graph_encoding_key())
    started = time.perf_counter()
    module._split_samples("train")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with train.java-cs.txt.{java,cs}")
    parser.add_argument("--backbone", default=str(REPO_ROOT / "models" / "code-t5-mini"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    backbone, tokenizer = load_backbone(args.backbone)
    model = TransducerConfig().build(backbone, tokenizer)
    with tempfile.TemporaryDirectory() as folder:
        cache_dir = Path(folder)
        print(f"cold graph cache (extraction on one core): {setup_seconds(model, tokenizer, args.data, cache_dir):.2f} s")
        times: dict[str, list[float]] = {"encoding": [], "warm": []}
        for _ in range(args.repeats):
            shutil.rmtree(cache_dir / "encoded")
            times["encoding"].append(setup_seconds(model, tokenizer, args.data, cache_dir))
            times["warm"].append(setup_seconds(model, tokenizer, args.data, cache_dir))
    for state, values in times.items():
        print(f"{state:>9}: min {min(values):.2f} s, median {statistics.median(values):.2f} s, max {max(values):.2f} s "
              f"({len(values)} runs)")


if __name__ == "__main__":
    main()
