"""How many graphs an extractor change alters: edge sets of this checkout against another (e.g. the commit before).

    git worktree add /tmp/cpg-before HEAD~1 --detach
    python benchmarks/cpg_version_diff.py --baseline /tmp/cpg-before \\
        --data ../shared/data/codexglue-java-cs/train.java-cs.txt.java --language java
    python benchmarks/cpg_version_diff.py --baseline /tmp/cpg-before --language java \\
        --data data/built/code_summarization/train.jsonl data/built/code_summarization/validation.jsonl

Each sample (a line of a text file, or the ``source`` field of each line of a ``.jsonl`` file) is extracted by both
checkouts with default options, one child process each (its ``PYTHONPATH`` is that checkout, so it imports that
checkout's ``cpg``); a graph counts as changed when its set of (edge type, source, target, label) differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def read_samples(paths: list[Path]) -> list[str]:
    """One sample per line: the line itself, or the ``source`` field of a ``.jsonl`` line."""
    samples = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            samples.append(json.loads(line)["source"] if path.suffix == ".jsonl" else line)
    return samples


def edge_digests(samples: list[str], language: str) -> list[str]:
    """A digest of each sample's edge set, from the ``cpg`` on ``sys.path``."""
    from cpg import extract

    digests = []
    for code in samples:
        edges = sorted((e.type.name, e.src, e.dst, e.label or "") for e in extract(code, language).edges)
        digests.append(hashlib.sha1(json.dumps(edges).encode()).hexdigest())
    return digests


def digests_of_checkout(root: Path, data: list[Path], language: str, output: Path) -> tuple[str, list[str]]:
    """(extractor version, edge digests) of every sample, extracted by the checkout at ``root`` in a child process
    that writes them to ``output``."""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, __file__, "--digests-to", str(output), "--language", language,
               "--data", *(str(path.resolve()) for path in data)]
    subprocess.run(command, check=True, env=environment, cwd=output.parent)
    result = json.loads(output.read_text())
    return result["version"], result["digests"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="the other checkout (a `git worktree` of an earlier commit)")
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="text files (a sample per line) or .jsonl")
    parser.add_argument("--language", default="java")
    parser.add_argument("--digests-to", type=Path, help=argparse.SUPPRESS)  # the child process's mode
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.data if not path.is_file()]
    if missing:
        parser.error(f"no data file at {', '.join(missing)}")
    if args.digests_to is not None:
        from cpg.cache import EXTRACTOR_VERSION

        digests = edge_digests(read_samples(args.data), args.language)
        args.digests_to.write_text(json.dumps({"version": EXTRACTOR_VERSION, "digests": digests}))
        return
    if args.baseline is None or not (args.baseline / "cpg").is_dir():
        parser.error(f"--baseline must be a checkout with a cpg/ folder, got {args.baseline}")
    with tempfile.TemporaryDirectory() as folder:
        before_version, before = digests_of_checkout(args.baseline.resolve(), args.data, args.language,
                                                     Path(folder) / "baseline.json")
        after_version, after = digests_of_checkout(REPO_ROOT, args.data, args.language, Path(folder) / "current.json")
    changed = sum(a != b for a, b in zip(before, after))
    print(f"{changed:,} of {len(after):,} {args.language} graphs changed between extractor version "
          f"{before_version} ({args.baseline}) and {after_version} (this checkout)")


if __name__ == "__main__":
    main()
