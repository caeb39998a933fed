"""Turning a code property graph into the fixed-width tensors the Transducer consumes.

:func:`encode_graph` (one graph) and :func:`encode_graphs` (a dataset's worth, each distinct string tokenized once)
tokenize node code texts and kind names at data-loading time, so that the model never touches strings and PyG's
``Batch.from_data_list`` can concatenate a batch of graphs.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from typing import Any

import torch
from torch_geometric.data import Data
from tqdm.auto import tqdm

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
        ``Data`` with ``edge_index`` (2, E) long, ``edge_type`` (E,) long, ``cfg_label`` (E,) long (when the
        input has it), ``num_nodes`` N,
        ``node_token_ids`` (N, max_node_tokens) long padded with ``tokenizer.pad_token_id``,
        ``node_token_mask`` (N, max_node_tokens) bool, ``kind_token_ids``/``kind_token_mask``
        (N, max_kind_tokens), and ``node_kind_hash`` (N,) long (a stable CRC32 of the kind name, for learned kind
        embeddings). A precomputed ``x`` and the nodes' source spans ``node_span`` (N, 4) are kept. The string
        lists are dropped.
    """
    return encode_graphs([graph], tokenizer, max_node_tokens, max_kind_tokens)[0]


def encode_graphs(
    graphs: Sequence[CodePropertyGraph | Data],
    tokenizer: Any,
    max_node_tokens: int = 16,
    max_kind_tokens: int = 8,
    progress: bool = False,
) -> list[Data]:
    """:func:`encode_graph` for many graphs at once: every distinct node text and kind name of all of them is
    tokenized once, in large batches (node texts repeat a lot across a dataset), with a progress bar if asked."""
    if max_node_tokens < 1 or max_kind_tokens < 1:
        raise ValueError(f"max_node_tokens and max_kind_tokens must be >= 1, got {max_node_tokens} and {max_kind_tokens}")
    if tokenizer.pad_token_id is None:
        raise ValueError(f"tokenizer {type(tokenizer).__name__} has no pad token; set tokenizer.pad_token first")
    char_budget = max_node_tokens * CHARS_PER_TOKEN_BUDGET
    graph_strings = [_node_strings(graph) for graph in graphs]
    text_rows: dict[str, int] = {}
    kind_rows: dict[str, int] = {}
    for _, texts, kinds in graph_strings:
        for text in texts:
            text_rows.setdefault(text[:char_budget], len(text_rows))
        for kind in kinds:
            kind_rows.setdefault(kind, len(kind_rows))
    text_ids, text_mask = _tokenize(tokenizer, list(text_rows), max_node_tokens, progress)
    kind_ids, kind_mask = _tokenize(tokenizer, [k.replace("_", " ") for k in kind_rows], max_kind_tokens, False)
    encoded_graphs = []
    for data, texts, kinds in graph_strings:
        text_index = torch.tensor([text_rows[t[:char_budget]] for t in texts], dtype=torch.long)
        kind_index = torch.tensor([kind_rows[k] for k in kinds], dtype=torch.long)
        encoded = Data(
            edge_index=data.edge_index,
            edge_type=data.edge_type,
            num_nodes=len(texts),
            node_token_ids=text_ids[text_index],
            node_token_mask=text_mask[text_index],
            kind_token_ids=kind_ids[kind_index],
            kind_token_mask=kind_mask[kind_index],
            node_kind_hash=torch.tensor([zlib.crc32(k.encode()) for k in kinds], dtype=torch.long),
        )
        if "cfg_label" in data:
            encoded.cfg_label = data.cfg_label
        if "node_span" in data:
            encoded.node_span = data.node_span
        if "x" in data and data.x is not None:
            encoded.x = data.x
        encoded_graphs.append(encoded)
    return encoded_graphs


#: bumped when encoded graphs gain or change a field (2: ``node_span``), so caches of older encodings are not read
ENCODING_VERSION = "2"


def encoding_key(tokenizer: Any, max_node_tokens: int = 16, max_kind_tokens: int = 8) -> str:
    """A digest of everything :func:`encode_graphs` depends on besides the graphs: the tokenizer (its whole
    vocabulary and rules), the token widths and the character budget. Caches of encoded graphs are keyed by it."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    rules = backend.to_str() if backend is not None else json.dumps(sorted(tokenizer.get_vocab().items()))
    digest = hashlib.blake2b(digest_size=16)
    for part in (ENCODING_VERSION, type(tokenizer).__name__, rules, str(tokenizer.pad_token_id), str(max_node_tokens),
                 str(max_kind_tokens), str(CHARS_PER_TOKEN_BUDGET)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _node_strings(graph: CodePropertyGraph | Data) -> tuple[Data, list[str], list[str]]:
    """The graph's ``Data`` and its node texts and kind names, checked against its node count."""
    data = graph.to_pyg(variables=False) if isinstance(graph, CodePropertyGraph) else graph
    num_nodes = int(data.num_nodes or 0)
    texts: list[str] = list(data.node_text) if "node_text" in data else []
    kinds: list[str] = list(data.node_kind) if "node_kind" in data else []
    if len(texts) != num_nodes or len(kinds) != num_nodes:
        raise ValueError(
            f"graph has {num_nodes} nodes but {len(texts)} node_text and {len(kinds)} node_kind entries; "
            "pass a CodePropertyGraph or the Data from its to_pyg()"
        )
    return data, texts, kinds


#: texts tokenized per call (one progress-bar step)
_TOKENIZE_CHUNK = 8192


def _tokenize(tokenizer: Any, texts: list[str], width: int, progress: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids (len(texts), width) padded with the pad id, and the bool mask of real tokens."""
    if not texts:
        return torch.empty((0, width), dtype=torch.long), torch.empty((0, width), dtype=torch.bool)
    encode = _fast_encoder(tokenizer, width) or _slow_encoder(tokenizer, width)
    chunks = range(0, len(texts), _TOKENIZE_CHUNK)
    ids, masks = [], []
    for start in tqdm(chunks, desc="tokenizing node texts", unit="chunk", disable=not progress, leave=False):
        chunk_ids, chunk_mask = encode(texts[start : start + _TOKENIZE_CHUNK])
        ids.append(chunk_ids.masked_fill(~chunk_mask, tokenizer.pad_token_id))
        masks.append(chunk_mask)
    return torch.cat(ids), torch.cat(masks)


def _fast_encoder(tokenizer: Any, width: int) -> Any:
    """For a fast (Rust) tokenizer: a copy of its ``tokenizers.Tokenizer`` that truncates and right-pads to
    ``width`` itself, skipping the per-text Python conversion of ``transformers`` (the slowest part on large
    datasets); ``None`` for other tokenizers."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    from tokenizers import Tokenizer

    copy = Tokenizer.from_str(backend.to_str())
    copy.enable_truncation(max_length=width)
    copy.enable_padding(direction="right", length=width, pad_id=tokenizer.pad_token_id, pad_token=tokenizer.pad_token)

    def encode(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        encodings = copy.encode_batch(texts, add_special_tokens=False)
        ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.bool)
        return ids, mask

    return encode


def _slow_encoder(tokenizer: Any, width: int) -> Any:
    def encode(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
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
        return encoded["input_ids"], encoded["attention_mask"].bool()

    return encode
