"""Shared helpers for the end-to-end harness tests: tiny datasets per task and a CLI runner."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import yaml

TINY_T5 = {
    "model_type": "t5",
    "vocab_size": 384,
    "d_model": 32,
    "d_ff": 64,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "num_heads": 2,
    "d_kv": 16,
}
TINY_GPT2 = {"model_type": "gpt2", "vocab_size": 384, "n_embd": 32, "n_layer": 2, "n_head": 2}

# Small hand-written examples per task (source, target).
TASK_EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "code_summarization": [
        ("int add(int a, int b) { return a + b; }", "adds two numbers"),
        ("boolean isEmpty(List<String> xs) { return xs.size() == 0; }", "checks whether the list is empty"),
        ("int max(int a, int b) { if (a > b) { return a; } else { return b; } }", "returns the larger value"),
        ("int sum(int[] xs) { int s = 0; for (int x : xs) { s += x; } return s; }", "sums the array"),
        ("void clear(List<String> xs) { xs.clear(); }", "clears the list"),
        ("int neg(int a) { return -a; }", "negates a number"),
    ],
    "assert_generation": [
        ('void testAdd() { int r = calc.add(1, 2); "<AssertPlaceHolder>"; } int add(int a, int b) { return a + b; }',
         "assertEquals(3, r);"),
        ('void testEmpty() { boolean e = list.isEmpty(); "<AssertPlaceHolder>"; } boolean isEmpty() { return n == 0; }',
         "assertTrue(e);"),
        ('void testNeg() { int r = calc.neg(4); "<AssertPlaceHolder>"; } int neg(int a) { return -a; }',
         "assertEquals(-4, r);"),
        ('void testName() { String n = user.getName(); "<AssertPlaceHolder>"; } String getName() { return name; }',
         "assertNotNull(n);"),
        ('void testSize() { int s = list.size(); "<AssertPlaceHolder>"; } int size() { return n; }',
         "assertEquals(0, s);"),
        ('void testMax() { int m = calc.max(2, 5); "<AssertPlaceHolder>"; } int max(int a, int b) { return a > b ? a : b; }',
         "assertEquals(5, m);"),
    ],
    "code_generation": [
        ("add two numbers 'a' and 'b'", "a + b"),
        ("sort list 'xs' in place", "xs.sort()"),
        ("get the length of string 's'", "len(s)"),
        ("reverse list 'xs'", "xs[::-1]"),
        ("convert string 's' to upper case", "s.upper()"),
        ("join list 'words' with spaces", "' '.join(words)"),
    ],
    "code_translation": [
        ("public int add(int a, int b) { return a + b; }", "public int Add(int a, int b) { return a + b; }"),
        ("public String getName() { return name; }", "public string GetName() { return name; }"),
        ("public boolean isEmpty() { return size == 0; }", "public bool IsEmpty() { return size == 0; }"),
        ("public void clear() { items.clear(); }", "public void Clear() { items.Clear(); }"),
        ("public int size() { return count; }", "public int Size() { return count; }"),
        ("public int neg(int a) { return -a; }", "public int Neg(int a) { return -a; }"),
    ],
}


def write_jsonl(path: Path, pairs: list[tuple[str, str]], with_target: bool = True) -> Path:
    with path.open("w") as handle:
        for index, (source, target) in enumerate(pairs):
            record: dict[str, Any] = {"id": f"{path.stem}-{index}", "source": source, "language": "java"}
            if with_target:
                record["target"] = target
            handle.write(json.dumps(record) + "\n")
    return path


def make_config(
    tmp_path: Path,
    task: str,
    method: dict[str, Any] | None = None,
    backbone: dict[str, Any] | None = None,
    trainer: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Path:
    """Write data files for ``task`` and a YAML config training a tiny backbone on them; return its path."""
    pairs = TASK_EXAMPLES[task]
    files = {
        "train": write_jsonl(tmp_path / "train.jsonl", pairs),
        "validation": write_jsonl(tmp_path / "valid.jsonl", pairs[:3]),
        "test": write_jsonl(tmp_path / "test.jsonl", pairs[3:]),
        "predict": write_jsonl(tmp_path / "inputs.jsonl", pairs[3:5], with_target=False),
    }
    config = {
        "seed_everything": 7,
        "trainer": {
            "accelerator": "cpu",
            "devices": 1,
            "max_steps": 2,
            "val_check_interval": 2,
            "num_sanity_val_steps": 0,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "default_root_dir": str(tmp_path / "out"),
            **(trainer or {}),
        },
        "model": {
            "backbone": {"config": backbone or TINY_T5, "tokenizer": "byte"},
            "method": method or {"class_path": "transducer.config.TransducerConfig"},
            "generation": {"num_beams": 2, "max_new_tokens": 8},
        },
        "data": {
            "task": task,
            **{split: str(path) for split, path in files.items()},
            "batch_size": 3,
            "max_source_length": 128,
            "max_target_length": 32,
            "cpg_cache_dir": str(tmp_path / "cpg_cache"),
            "extraction_workers": 1,
            **(data or {}),
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_cli(*args: str) -> Any:
    from tasks.cli import main

    return main(list(args))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class SlowSteps(pl.Callback):
    """A callback for subprocess tests (``trainer.callbacks`` in YAML): each training step takes at least
    ``seconds``, and ``marker`` is written once ``after_steps`` steps have run, so a test knows training is under
    way before it signals the process."""

    def __init__(self, marker: str, after_steps: int = 1, seconds: float = 0.2) -> None:
        self.marker, self.after_steps, self.seconds = Path(marker), after_steps, seconds

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        time.sleep(self.seconds)
        if trainer.global_step == self.after_steps:
            self.marker.write_text(str(trainer.global_step))
