"""The comparison's data: the task's train split minus a dev slice, the dev slice, and the validation split, as
JSONL files the harness reads."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tasks.comparison.protocol import Protocol

SPLITS = ("train", "dev", "valid")


def prepare_splits(data_dir: Path, work_dir: Path, protocol: Protocol, limit: int | None = None) -> dict[str, Path]:
    """``train`` (CodeXGLUE Java→C# train minus the dev slice), ``dev`` (``protocol.dev_size`` train pairs chosen
    with ``protocol.data_seed``) and ``valid`` (the validation split) as JSONL under ``work_dir/data``.

    ``limit`` reads only the first N pairs of each split (smoke tests); the dev slice is then at most a fifth of
    train."""
    from tasks.data.loading import load_examples

    def read(split: str) -> list[Any]:
        spec = {"format": "codexglue_translation", "source_path": str(data_dir / f"{split}.java-cs.txt.java"),
                "target_path": str(data_dir / f"{split}.java-cs.txt.cs")}
        return load_examples(spec, limit=limit)

    train, valid = read("train"), read("valid")
    dev_size = protocol.dev_size if limit is None else min(protocol.dev_size, len(train) // 5)
    dev_ids = set(random.Random(protocol.data_seed).sample(range(len(train)), dev_size))
    splits = {
        "train": [e for i, e in enumerate(train) if i not in dev_ids],
        "dev": [e for i, e in enumerate(train) if i in dev_ids],
        "valid": valid,
    }
    folder = work_dir / "data"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, examples in splits.items():
        paths[name] = folder / f"{name}.jsonl"
        with paths[name].open("w", encoding="utf-8") as handle:
            for example in examples:
                record = {"id": example.id, "source": example.source, "target": example.target, "language": "java"}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return paths


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
