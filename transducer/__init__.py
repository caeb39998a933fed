"""Transducer tuning: adapt a frozen code language model with a small graph-aware Transducer.

Source code -> code property graph (``cpg``) -> node vectors (:class:`NodeVectorizer`) -> GNN
(:class:`GraphVectorizationEngine`) -> cross-attention fusion into the frozen model's input embeddings
(:class:`AttentionFusion`). :class:`TransducerConfig` holds the hyperparameters and builds a
:class:`TransducerModel` around a backbone.

The exports are imported lazily, so ``import transducer`` (e.g. by the CLI) does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AttentionFusion": "transducer.fusion",
    "GraphFeatures": "transducer.gve",
    "GraphVectorizationEngine": "transducer.gve",
    "NodeVectorizer": "transducer.vectorizer",
    "Transducer": "transducer.model",
    "TransducerConfig": "transducer.config",
    "TransducerModel": "transducer.model",
    "encode_graph": "transducer.graph_inputs",
    "precompute_node_vectors": "transducer.vectorizer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'transducer' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
