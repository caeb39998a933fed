"""Turning a code property graph into the fixed-width tensors the Transducer consumes.

:func:`encode_graph` tokenizes every node's code text and kind name once (at data-loading time), so that the
model never touches strings and PyG's ``Batch.from_data_list`` can concatenate a batch of graphs.
"""

from __future__ import annotations

import zlib
from typing import Any

import torch
from torch_geometric.data import Data

from cpg.graph import CodePropertyGraph

#: characters of node text kept per allowed token before tokenizing: the text of a root node can span a whole
#: file, and tokenizing all of it to keep ``max_node_tokens`` tokens would waste time
CHARS_PER_TOKEN_BUDGET = 32


def encode_graph(
    graph: CodePropertyGraph | Data,
    tokenizer: Any,
    max_node_tokens: int = 16,
    max_kind_tokens: int = 8,
) -> Data:
    """Tokenize a graph's node texts and kind names into padded id/mask tensors.

    Args:
        graph: a :class:`~cpg.graph.CodePropertyGraph`, or the ``Data`` its ``to_pyg()`` returns (with the
            ``node_text`` and ``node_kind`` string lists). A graph with zero nodes is allowed.
        tokenizer: a Hugging Face tokenizer (the one of the model that embeds node text) with a pad token.
        max_node_tokens: tokens kept per node text (the first ones).
        max_kind_tokens: tokens kept per kind name (``method_declaration`` is tokenized as "method declaration").

    Returns:
        ``Data`` with ``edge_index`` (2, E) long, ``edge_type`` (E,) long, ``num_nodes`` N,
        ``node_token_ids`` (N, max_node_tokens) long padded with ``tokenizer.pad_token_id``,
        ``node_token_mask`` (N, max_node_tokens) bool, ``kind_token_ids``/``kind_token_mask``
        (N, max_kind_tokens), and ``node_kind_hash`` (N,) long (a stable CRC32 of the kind name, for learned kind
        embeddings). A precomputed ``x`` on the input is kept. The string lists are dropped.
    """
    if max_node_tokens < 1 or max_kind_tokens < 1:
        raise ValueError(f"max_node_tokens and max_kind_tokens must be >= 1, got {max_node_tokens} and {max_kind_tokens}")
    if tokenizer.pad_token_id is None:
        raise ValueError(f"tokenizer {type(tokenizer).__name__} has no pad token; set tokenizer.pad_token first")
    data = graph.to_pyg() if isinstance(graph, CodePropertyGraph) else graph
    num_nodes = int(data.num_nodes or 0)
    texts: list[str] = list(data.node_text) if "node_text" in data else []
    kinds: list[str] = list(data.node_kind) if "node_kind" in data else []
    if len(texts) != num_nodes or len(kinds) != num_nodes:
        raise ValueError(
            f"graph has {num_nodes} nodes but {len(texts)} node_text and {len(kinds)} node_kind entries; "
            "pass a CodePropertyGraph or the Data from its to_pyg()"
        )
    char_budget = max_node_tokens * CHARS_PER_TOKEN_BUDGET
    node_ids, node_mask = _tokenize(tokenizer, [t[:char_budget] for t in texts], max_node_tokens)
    kind_rows = {kind: row for row, kind in enumerate(dict.fromkeys(kinds))}  # tokenize each kind name once
    kind_ids, kind_mask = _tokenize(tokenizer, [k.replace("_", " ") for k in kind_rows], max_kind_tokens)
    kind_index = torch.tensor([kind_rows[k] for k in kinds], dtype=torch.long)
    encoded = Data(
        edge_index=data.edge_index,
        edge_type=data.edge_type,
        num_nodes=num_nodes,
        node_token_ids=node_ids,
        node_token_mask=node_mask,
        kind_token_ids=kind_ids[kind_index],
        kind_token_mask=kind_mask[kind_index],
        node_kind_hash=torch.tensor([zlib.crc32(k.encode()) for k in kinds], dtype=torch.long),
    )
    if "x" in data and data.x is not None:
        encoded.x = data.x
    return encoded


def _tokenize(tokenizer: Any, texts: list[str], width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids (len(texts), width) padded with the pad id, and the bool mask of real tokens."""
    if not texts:
        return torch.empty((0, width), dtype=torch.long), torch.empty((0, width), dtype=torch.bool)
    encoded = tokenizer(
        texts,
        add_special_tokens=False,
        truncation=True,
        max_length=width,
        padding="max_length",
        padding_side="right",  # "first token" pooling reads position 0
        return_attention_mask=True,
        return_tensors="pt",
    )
    mask = encoded["attention_mask"].bool()
    ids = encoded["input_ids"].masked_fill(~mask, tokenizer.pad_token_id)
    return ids, mask
