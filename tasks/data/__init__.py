"""Dataset readers: every supported format becomes a ``list[Example]``; :func:`load_examples` picks by name."""

from pathlib import Path

from tasks.data.example import DataFormatError, Example
from tasks.data.hf import read_hf_dataset
from tasks.data.loading import FORMATS, load_examples
from tasks.data.readers import (
    read_atlas,
    read_codealpaca,
    read_codesearchnet,
    read_codexglue_translation,
    read_conala,
    read_jsonl,
)

#: folder of the bundled quickstart dataset (``train.jsonl``, ``valid.jsonl``, ``test.jsonl``)
QUICKSTART_DIR = Path(__file__).parent / "quickstart"

__all__ = [
    "FORMATS",
    "QUICKSTART_DIR",
    "DataFormatError",
    "Example",
    "load_examples",
    "read_atlas",
    "read_codealpaca",
    "read_codesearchnet",
    "read_codexglue_translation",
    "read_conala",
    "read_hf_dataset",
    "read_jsonl",
]
