"""Turn a list of samples into a model batch: tokenized text plus a PyG ``Batch`` of graphs.

The batch layout follows ``transducer.adaptation``: for seq2seq backbones ``input_ids`` is the source and
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
        align_tokens_to_nodes: also give the graph batch ``token_node_mask`` (B, L, N_max) bool: whether source
            token l lies inside the source span of node n of its sample's graph (nodes in their order in the graph;
            :func:`token_node_alignment`). Needs a fast tokenizer (character offsets) and a seq2seq backbone.
    """

    tokenizer: PreTrainedTokenizerBase
    seq2seq: bool
    max_source_length: int = 400
    max_target_length: int = 150
    source_prefix: str = ""
    align_tokens_to_nodes: bool = False

    def __post_init__(self) -> None:
        if self.align_tokens_to_nodes and not self.tokenizer.is_fast:
            raise ValueError(f"aligning tokens to graph nodes needs character offsets, which the slow tokenizer "
                             f"{type(self.tokenizer).__name__} does not give; use a fast (Rust) tokenizer")
        if self.align_tokens_to_nodes and not self.seq2seq:
            raise NotImplementedError("aligning tokens to graph nodes is implemented for seq2seq backbones only")

    def _encode(self, texts: list[str], max_length: int) -> list[list[int]]:
        encoded = self.tokenizer(texts, add_special_tokens=False, truncation=True, max_length=max_length - 1)
        return [ids + [self.tokenizer.eos_token_id] for ids in encoded["input_ids"]]

    def _source_offsets(self, sources: list[str]) -> list[list[tuple[int, int]]]:
        """Character spans of each source's tokens in the source (the prefix removed); the end token's is (0, 0)."""
        encoded = self.tokenizer([self.source_prefix + s for s in sources], add_special_tokens=False, truncation=True,
                                 max_length=self.max_source_length - 1, return_offsets_mapping=True)
        shift = len(self.source_prefix)
        return [[(max(0, a - shift), max(0, b - shift)) for a, b in spans] + [(0, 0)]
                for spans in encoded["offset_mapping"]]

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
        if self.align_tokens_to_nodes and batch["graph"] is not None:
            offsets = self._source_offsets([s.source for s in samples])
            alignments = [token_node_alignment(s.source, o, s.graph.node_span) for s, o in zip(samples, offsets)]
            width, nodes = batch["input_ids"].shape[1], max(a.shape[1] for a in alignments)
            mask = torch.zeros(len(samples), width, nodes, dtype=torch.bool)
            for index, alignment in enumerate(alignments):
                mask[index, : alignment.shape[0], : alignment.shape[1]] = alignment
            batch["graph"].token_node_mask = mask
        return batch


def token_node_alignment(source: str, token_spans: list[tuple[int, int]], node_spans: torch.Tensor) -> torch.Tensor:
    """(L, N) bool: whether each token's character span ``token_spans[l]`` (end exclusive) lies within node n's
    span in ``source`` (``node_spans`` (N, 4): start line, start column, end line, end column, as the CPG gives
    them). A token's leading whitespace (byte-level BPE's "Ġint" spans " int") does not count; a token of no
    characters (the end token) lies in no node."""
    trimmed = []
    for start, end in token_spans:
        while start < end and source[start].isspace():
            start += 1
        trimmed.append((start, end))
    line_starts = torch.tensor([0] + [i + 1 for i, c in enumerate(source) if c == "\n"], dtype=torch.long)
    spans = node_spans.long()
    node_start = line_starts[spans[:, 0].clamp(max=len(line_starts) - 1)] + spans[:, 1]
    node_end = line_starts[spans[:, 2].clamp(max=len(line_starts) - 1)] + spans[:, 3]
    tokens = torch.tensor(trimmed, dtype=torch.long).view(-1, 2)
    starts, ends = tokens[:, :1], tokens[:, 1:]
    return (node_start <= starts) & (ends <= node_end) & (ends > starts)


def _batch_graphs(graphs: list[Any | None]) -> Any | None:
    if any(graph is None for graph in graphs):
        return None
    from torch_geometric.data import Batch

    return Batch.from_data_list(graphs)
