"""``transducer data build``: build the real-data sets (code summarization, assert generation) from pinned sources."""

from __future__ import annotations

import argparse
from pathlib import Path

from tasks.data.build.build import DATASETS, build

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_OUT = Path("data/built")
DEFAULT_CACHE = Path.home() / ".cache" / "transducer-tuning" / "sources"
DEFAULT_TL_CODESUM = REPO_ROOT / ".." / "shared" / "data" / "tl-codesum"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="transducer data",
        description="Build code summarization (CodeSearchNet's procedure) and assert generation (ATLAS's) pairs "
        "from the Java projects pinned in tasks/data/build/manifest.py (Maven Central source jars, sha256-checked).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="download, extract, deduplicate and write a dataset")
    build_parser.add_argument("dataset", choices=[*DATASETS, "all"])
    build_parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    build_parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                              help=f"where source jars are downloaded and unpacked (default {DEFAULT_CACHE})")
    build_parser.add_argument("--tl-codesum", type=Path, default=None,
                              help="a TL-CodeSum folder (valid.token.code/.nl) whose methods summarization pairs must "
                              f"not duplicate (default: {DEFAULT_TL_CODESUM} when it exists)")
    build_parser.add_argument("--seed", type=int, default=0, help="seed of the report's random examples")
    args = parser.parse_args(argv)
    tl_codesum = args.tl_codesum or (DEFAULT_TL_CODESUM if DEFAULT_TL_CODESUM.is_dir() else None)
    for dataset in DATASETS if args.dataset == "all" else (args.dataset,):
        build(dataset, args.out, args.cache, tl_codesum=tl_codesum, seed=args.seed)
