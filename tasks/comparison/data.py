"""The comparison's data: train (minus the dev slice when it is carved from train), the dev slice that chooses
learning rates and checkpoints, the scored split, and a sample of the task's external set where it has one, as
JSONL files the harness reads."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tasks.comparison.protocol import Protocol
from tasks.comparison.task_setups import ComparisonTask


def prepare_splits(task: ComparisonTask, data_dir: Path, work_dir: Path, protocol: Protocol,
                   limit: int | None = None, external_dir: Path | None = None) -> dict[str, Path]:
    """``train``, ``dev`` (``protocol.dev_size`` pairs of ``task.dev_source`` chosen with ``protocol.data_seed``;
    taken out of train when carved from it), ``scored`` (``task.scored_split``) and, when the task has an external
    set and ``external_dir`` holds it, ``external`` (its ``sample_size`` pairs drawn with ``protocol.data_seed``,
    in their file order) as JSONL under ``work_dir/data``.

    ``limit`` reads only the first N pairs of each split (smoke tests); the dev slice is then at most a fifth of
    its source."""
    splits = task.read(data_dir, limit)
    source = splits[task.dev_source]
    dev_size = protocol.dev_size if limit is None else min(protocol.dev_size, len(source) // 5)
    if dev_size > len(source):
        raise ValueError(f"{task.name}: the {task.dev_source} split has {len(source)} pairs, fewer than the "
                         f"{dev_size} dev pairs the protocol asks for")
    dev_ids = set(random.Random(protocol.data_seed).sample(range(len(source)), dev_size))
    chosen = {
        "train": [e for i, e in enumerate(splits["train"]) if task.dev_source != "train" or i not in dev_ids],
        "dev": [e for i, e in enumerate(source) if i in dev_ids],
        "scored": splits[task.scored_split],
    }
    if task.external is not None and external_dir is not None:
        external = task.external.read(external_dir)[:limit]
        size = min(task.external.sample_size, len(external))
        drawn = set(random.Random(protocol.data_seed).sample(range(len(external)), size))
        chosen["external"] = [e for i, e in enumerate(external) if i in drawn]
    folder = work_dir / "data"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, examples in chosen.items():
        paths[name] = folder / f"{name}.jsonl"
        with paths[name].open("w", encoding="utf-8") as handle:
            for example in examples:
                record = {"id": example.id, "source": example.source, "target": example.target,
                          "language": example.language or "java"}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return paths


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
