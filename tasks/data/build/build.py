"""Build the real-data sets from the pinned projects: fetch, extract pairs, deduplicate, split by project, write.

Outputs under ``out`` (never committed):

- ``code_summarization/{train,validation,test}.jsonl``: ``id``, ``source``, ``target``, ``language``, ``project``,
  ``path``, ``method`` per line (the harness's native format).
- ``assert_generation/{Training,Eval,Testing}/{testMethods.txt,assertLines.txt}``: ATLAS's released layout, read by
  ``read_atlas`` unchanged (``data.train: {format: atlas, ...}``).
- ``<dataset>/report.json``: projects and counts per split, drops per filter, five random examples.

Deduplication compares sources and goes test, validation, train: a pair whose source duplicates (exactly or
nearly, :mod:`.dedup`) one kept before it is dropped and counted, so the evaluation splits stay whole and train
never holds a near copy of them.
Summarization pairs are also checked against the TL-CodeSum validation split, when given.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from tasks.data.build.assertion import AssertPair, FocalIndex, assert_pairs
from tasks.data.build.dedup import DuplicateIndex
from tasks.data.build.fetch import fetch_sources, java_files
from tasks.data.build.java import lexical_tokens
from tasks.data.build.manifest import PROJECTS, SPLITS, MavenProject, check_manifest
from tasks.data.build.summarization import SummaryPair, summary_pairs

DATASETS = ("code_summarization", "assert_generation")
ATLAS_FOLDERS = {"train": "Training", "validation": "Eval", "test": "Testing"}
#: deduplication order: evaluation splits keep their pairs, train loses its copies of them
DEDUP_ORDER = ("test", "validation", "train")
EXAMPLES_IN_REPORT = 5

Pair = SummaryPair | AssertPair


@dataclass
class DatasetReport:
    """What a build produced and dropped; written as ``report.json``."""

    dataset: str
    projects: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    #: candidates looked at (methods, test methods)
    seen: dict[str, int] = field(default_factory=dict)
    #: candidates dropped, by filter; "duplicate of a <split> pair" counts duplicates within that split too
    drops: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, str]] = field(default_factory=list)


def build(dataset: str, out: Path, cache_dir: Path, tl_codesum: Path | None = None, seed: int = 0,
          projects: Sequence[MavenProject] = PROJECTS, log: Callable[[str], None] = print) -> DatasetReport:
    """Build ``dataset`` (one of :data:`DATASETS`) under ``out / dataset``; returns (and writes) its report."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")
    check_manifest(tuple(projects))
    if dataset == "assert_generation":
        projects = [p for p in projects if p.test_sources_sha256 is not None]
    drops: Counter[str] = Counter()
    pairs: dict[str, list[Pair]] = {split: [] for split in SPLITS}
    for project in tqdm(projects, desc=f"{dataset}: projects", unit="project"):
        pairs[project.split].extend(_project_pairs(dataset, project, cache_dir, drops))
    index = DuplicateIndex()
    if tl_codesum is not None and dataset == "code_summarization":
        _index_tl_codesum(index, tl_codesum, log)
    kept = {split: _deduplicate(tqdm(pairs[split], desc=f"{dataset}: deduplicating {split}", unit="pair"), split,
                                index, drops) for split in DEDUP_ORDER}
    folder = out / dataset
    folder.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        _write(dataset, folder, split, kept[split])
    rng = random.Random(seed)
    everything = [pair for split in SPLITS for pair in kept[split]]
    report = DatasetReport(
        dataset,
        projects={split: sorted(p.name for p in projects if p.split == split) for split in SPLITS},
        counts={split: len(kept[split]) for split in SPLITS},
        seen={k: v for k, v in sorted(drops.items()) if k.endswith(" seen")},
        drops={k: v for k, v in sorted(drops.items()) if not k.endswith(" seen")},
        examples=[{k: str(v) for k, v in asdict(p).items()}
                  for p in rng.sample(everything, min(EXAMPLES_IN_REPORT, len(everything)))],
    )
    (folder / "report.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    log(f"{dataset}: " + ", ".join(f"{split} {report.counts[split]:,}" for split in SPLITS) + f" pairs in {folder}")
    return report


def _project_pairs(dataset: str, project: MavenProject, cache_dir: Path, drops: Counter[str]) -> list[Pair]:
    main_sources = fetch_sources(project, "sources", cache_dir)
    if dataset == "code_summarization":
        return [pair for path, text in java_files(main_sources)
                for pair in summary_pairs(text, project.name, path, drops)]
    focal = FocalIndex()
    for _, text in java_files(main_sources):
        focal.add_file(text)
    tests = fetch_sources(project, "test-sources", cache_dir)
    return [pair for path, text in java_files(tests) for pair in assert_pairs(text, project.name, path, focal, drops)]


def _index_tl_codesum(index: DuplicateIndex, folder: Path, log: Callable[[str], None]) -> None:
    from tasks.data.readers import read_tl_codesum

    examples = read_tl_codesum(folder / "valid.token.code", folder / "valid.token.nl")
    for example in examples:
        index.add(("tl-codesum", example.id), lexical_tokens(example.source))
    log(f"deduplicating against {len(examples):,} TL-CodeSum validation methods in {folder}")


def _deduplicate(pairs: Iterable[Pair], split: str, index: DuplicateIndex, drops: Counter[str]) -> list[Pair]:
    kept = []
    for number, pair in enumerate(pairs):
        tokens = lexical_tokens(pair.source)
        duplicate = index.find(tokens)
        if duplicate is not None:
            kind, (other_split, _) = duplicate
            drops[f"{kind} duplicate of a {other_split} pair"] += 1
            continue
        index.add((split, number), tokens)
        kept.append(pair)
    return kept


def _write(dataset: str, folder: Path, split: str, pairs: list[Pair]) -> None:
    if dataset == "code_summarization":
        with (folder / f"{split}.jsonl").open("w", encoding="utf-8") as out:
            for number, pair in enumerate(pairs):
                record = {"id": f"{pair.project}-{number}", "source": pair.source, "target": pair.target,
                          "language": "java", "project": pair.project, "path": pair.path, "method": pair.method}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    split_folder = folder / ATLAS_FOLDERS[split]
    split_folder.mkdir(parents=True, exist_ok=True)
    (split_folder / "testMethods.txt").write_text("".join(p.source + "\n" for p in pairs), encoding="utf-8")
    (split_folder / "assertLines.txt").write_text("".join(p.target + "\n" for p in pairs), encoding="utf-8")
