"""A cache of a split's *encoded* graphs (node texts and kinds already tokenized), next to the graph cache.

The graph cache makes extraction of a warm split almost free, but tokenizing every node text again took seconds on
each run (6.5 s for the 10,295 CodeXGLUE Java→C# train graphs). This cache stores the encoded ``Data`` of a whole
split in PyG's collated form (one tensor per attribute plus slices), which loads in a fraction of a second. Its key
covers everything the result depends on: each example's language and source, the extraction settings, and the
graph encoder (tokenizer and widths; :meth:`transducer.model.TransducerModel.graph_encoding_key`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

import torch
from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.data.separate import separate

from cpg.cache import EXTRACTOR_VERSION

#: bump when the stored layout changes
FORMAT_VERSION = "2"


def split_key(examples: Iterable[tuple[str, str]], extraction: dict[str, object], encoding_key: str) -> str:
    """Digest of ``(language, source)`` pairs in order, the extraction settings and the graph encoder's key."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([FORMAT_VERSION, EXTRACTOR_VERSION, sorted(extraction.items()), encoding_key]).encode())
    for language, source in examples:
        digest.update(language.encode() + b"\0" + source.encode() + b"\0")
    return digest.hexdigest()


def save(path: Path, graphs: list[Data], extraction_counts: list[dict[str, object]]) -> bool:
    """Write ``graphs`` (and their extraction counts, to report again on a warm run) atomically; ``False`` when the
    graphs cannot be collated into one store (e.g. only some carry ``x``) or the folder cannot be written, which
    leaves the cache untouched (the run goes on without it)."""
    try:
        data, slices = InMemoryDataset.collate(graphs) if len(graphs) > 1 else (None, None)
    except (RuntimeError, ValueError, KeyError, AttributeError, TypeError):
        return False
    store = {"count": len(graphs), "extraction_counts": extraction_counts,
             "data": data.to_dict() if data is not None else [g.to_dict() for g in graphs], "slices": slices}
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(store, temporary)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False
    return True


def load(path: Path) -> tuple[list[Data], list[dict[str, object]]] | None:
    """The graphs and extraction counts :func:`save` wrote, or ``None`` if there is no such file or it is unreadable."""
    try:
        store = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError):
        return None
    if store["slices"] is None:
        return [Data.from_dict(g) for g in store["data"]], store["extraction_counts"]
    batch = Data.from_dict(store["data"])
    graphs = [separate(cls=Data, batch=batch, idx=i, slice_dict=store["slices"], decrement=False)
              for i in range(store["count"])]
    return graphs, store["extraction_counts"]
