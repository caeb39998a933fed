"""Pick a reader by format name: the one entry point configs use to load a dataset split."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from os import PathLike
from typing import Any

from tasks.data.example import Example
from tasks.data.hf import read_hf_dataset
from tasks.data.readers import (
    read_atlas,
    read_codealpaca,
    read_codesearchnet,
    read_codexglue_translation,
    read_conala,
    read_jsonl,
    read_tl_codesum,
)

#: format name -> reader; a spec's other keys are that reader's keyword arguments
FORMATS: dict[str, Callable[..., list[Example]]] = {
    "jsonl": read_jsonl,
    "codexglue_translation": read_codexglue_translation,
    "codesearchnet": read_codesearchnet,
    "atlas": read_atlas,
    "conala": read_conala,
    "codealpaca": read_codealpaca,
    "tl_codesum": read_tl_codesum,
    "hf": read_hf_dataset,
}


def load_examples(spec: Mapping[str, Any] | str | PathLike[str], *, limit: int | None = None) -> list[Example]:
    """Load examples from a spec: a path to a native ``.jsonl`` file, or a mapping with a ``format`` key.

    Example specs: ``{"format": "jsonl", "path": "train.jsonl"}``,
    ``{"format": "codexglue_translation", "source_path": "x.java", "target_path": "x.cs"}``,
    ``{"format": "tl_codesum", "code_path": "valid.token.code", "nl_path": "valid.token.nl"}``,
    ``{"format": "hf", "name_or_path": "data.parquet", "split": "test"}``. ``limit`` keeps the first
    ``limit`` examples (a spec may also carry ``limit``).
    """
    if isinstance(spec, (str, PathLike)):
        spec = {"format": "jsonl", "path": spec}
    kwargs = dict(spec)
    name = kwargs.pop("format", None)
    limit = kwargs.pop("limit", limit)
    if name not in FORMATS:
        problem = "has no 'format' key" if name is None else f"has unknown format {name!r}"
        raise ValueError(f"dataset spec {problem}; available formats: {', '.join(FORMATS)}")
    reader = FORMATS[name]
    try:
        inspect.signature(reader).bind(**kwargs)
    except TypeError as error:
        accepted = ", ".join(p for p in inspect.signature(reader).parameters if p != "load_kwargs")
        raise ValueError(f"bad dataset spec for format {name!r} ({error}); accepted keys: {accepted}") from None
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of examples, got {limit}")
    examples = reader(**kwargs)
    return examples if limit is None else examples[:limit]
