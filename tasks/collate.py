"""Turn a list of samples into a model batch: tokenized text plus a PyG ``Batch`` of graphs.

The batch layout follows ``transducer.methods.base``: for seq2seq backbones ``input_ids`` is the source and
``labels`` the target (padding = -100); for decoder-only backbones ``input_ids`` is source + target with the source
masked out of ``labels``. ``generation_input_ids`` always holds the source alone (left-padded for decoder-only
backbones): generation never sees the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

IGNORE_INDEX = -100


@dataclass
class Sample:
    """One example ready for collation; ``graph`` is the encoded PyG ``Data`` (``None`` for graph-free methods)."""

    id: str
    source: str
    target: str
    graph: Any | None = None


def _pad(sequences: list[list[int]], value: int, left: bool = False) -> torch.Tensor:
    width = max((len(s) for s in sequences), default=0)
    rows = [([value] * (width - len(s)) + s) if left else (s + [value] * (width - len(s))) for s in sequences]
    return torch.tensor(rows, dtype=torch.long).reshape(len(sequences), width)


@dataclass
class Collator:
    """Callable collate function for ``DataLoader``.

    Args:
        tokenizer: the backbone's tokenizer.
        seq2seq: whether the backbone is an encoder-decoder model.
        max_source_length / max_target_length: token budgets (sources and targets are truncated).
        source_prefix: text prepended to every source.
    """

    tokenizer: PreTrainedTokenizerBase
    seq2seq: bool
    max_source_length: int = 400
    max_target_length: int = 150
    source_prefix: str = ""

    def _encode(self, texts: list[str], max_length: int) -> list[list[int]]:
        encoded = self.tokenizer(texts, add_special_tokens=False, truncation=True, max_length=max_length - 1)
        return [ids + [self.tokenizer.eos_token_id] for ids in encoded["input_ids"]]

    def __call__(self, samples: list[Sample]) -> dict[str, Any]:
        pad_id = self.tokenizer.pad_token_id
        sources = self._encode([self.source_prefix + s.source for s in samples], self.max_source_length)
        targets = self._encode([s.target for s in samples], self.max_target_length)
        if self.seq2seq:
            batch = {
                "input_ids": _pad(sources, pad_id),
                "attention_mask": _pad([[1] * len(s) for s in sources], 0),
                "labels": _pad(targets, IGNORE_INDEX),
            }
            batch["generation_input_ids"] = batch["input_ids"]
            batch["generation_attention_mask"] = batch["attention_mask"]
        else:
            joined = [s + t for s, t in zip(sources, targets)]
            batch = {
                "input_ids": _pad(joined, pad_id),
                "attention_mask": _pad([[1] * len(j) for j in joined], 0),
                "labels": _pad([[IGNORE_INDEX] * len(s) + t for s, t in zip(sources, targets)], IGNORE_INDEX),
                "generation_input_ids": _pad(sources, pad_id, left=True),
                "generation_attention_mask": _pad([[1] * len(s) for s in sources], 0, left=True),
            }
        batch["ids"] = [s.id for s in samples]
        batch["sources"] = [s.source for s in samples]
        batch["targets"] = [s.target for s in samples]
        batch["graph"] = _batch_graphs([s.graph for s in samples])
        return batch


def _batch_graphs(graphs: list[Any | None]) -> Any | None:
    if any(graph is None for graph in graphs):
        return None
    from torch_geometric.data import Batch

    return Batch.from_data_list(graphs)
