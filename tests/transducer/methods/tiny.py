"""Tiny random T5 and GPT-2 backbone configs and batches in the shapes the data collator builds."""

from __future__ import annotations

import random
from typing import Any

import torch
from torch_geometric.data import Batch

from tasks.bench.inputs import synthetic_cpg

TINY_CONFIGS: dict[str, dict[str, Any]] = {
    "t5": {
        "model_type": "t5", "vocab_size": 384, "d_model": 32, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2,
        "num_heads": 2, "d_kv": 16, "decoder_start_token_id": 0,
    },
    "gpt2": {
        "model_type": "gpt2", "vocab_size": 384, "n_embd": 32, "n_layer": 2, "n_head": 2, "n_positions": 128,
        "bos_token_id": 1, "eos_token_id": 1, "pad_token_id": 0,
    },
}  # fmt: skip


def training_batch(family: str) -> dict[str, torch.Tensor]:
    """seq2seq: source ids + target labels; decoder-only: source+target ids with labels -100 on prompt/padding."""
    generator = torch.Generator().manual_seed(1)
    if family == "t5":
        input_ids = torch.randint(3, 300, (2, 8), generator=generator)
        attention_mask = torch.ones_like(input_ids)
        input_ids[1, 6:], attention_mask[1, 6:] = 0, 0
        labels = torch.randint(3, 300, (2, 5), generator=generator)
        labels[1, 3:] = -100
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
    input_ids = torch.randint(3, 300, (2, 10), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    input_ids[1, 8:], attention_mask[1, 8:] = 0, 0
    labels = input_ids.clone()
    labels[:, :6] = -100  # prompt
    labels[1, 8:] = -100  # padding
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def generation_batch() -> dict[str, torch.Tensor]:
    """Left-padded sources (the decoder-only convention; seq2seq models accept it as well)."""
    input_ids = torch.randint(3, 300, (2, 6), generator=torch.Generator().manual_seed(2))
    attention_mask = torch.ones_like(input_ids)
    input_ids[0, :2], attention_mask[0, :2] = 0, 0
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def with_graphs(model: Any, batch: dict[str, torch.Tensor]) -> dict[str, Any]:
    """``batch`` plus one small random code property graph per sample when the method uses graphs."""
    if not model.uses_graph:
        return batch
    graphs = [model.encode_graph(synthetic_cpg(12, random.Random(i))) for i in range(len(batch["input_ids"]))]
    return {**batch, "graph": Batch.from_data_list(graphs)}
