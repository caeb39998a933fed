"""The comparison's data: train (minus the dev slice when it is carved from train), the dev slice that chooses
learning rates and checkpoints, and the scored split, as JSONL files the harness reads."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tasks.comparison.protocol import Protocol
from tasks.comparison.task_setups import ComparisonTask

#: the comparison's own split names: what trains, what chooses, what is scored
SPLITS = ("train", "dev", "scored")


def prepare_splits(task: ComparisonTask, data_dir: Path, work_dir: Path, protocol: Protocol,
                   limit: int | None = None) -> dict[str, Path]:
    """``train``, ``dev`` (``protocol.dev_size`` pairs of ``task.dev_source`` chosen with ``protocol.data_seed``;
    taken out of train when carved from it) and ``scored`` (``task.scored_split``) as JSONL under
    ``work_dir/data``.

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
