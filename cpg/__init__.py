"""Code property graph extraction: source code -> AST + CFG + DDG + CDG in one graph type.

- :func:`extract` one snippet, :func:`extract_many` a dataset (multiprocessing, on-disk cache, shards).
- Backends: ``treesitter`` (in-process, Java / C# / Python) and ``joern`` (batched ``joern-parse`` runs).
- :class:`CodePropertyGraph` converts to PyG (``to_pyg``), networkx and JSON.
- Command line: ``transducer cpg FILE --language java`` (:mod:`cpg.cli`).
"""

from cpg.extraction import (
    BACKENDS,
    DEFAULT_MAX_NODES,
    DEFAULT_MAX_TEXT_CHARS,
    ExtractionResult,
    extract,
    extract_many,
)
from cpg.graph import CodePropertyGraph, Edge, EdgeType, GraphColumns, Node
from cpg.joern import JoernError, JoernNotFoundError
from cpg.languages import SUPPORTED_LANGUAGES, normalize_language

__all__ = [
    "BACKENDS",
    "DEFAULT_MAX_NODES",
    "DEFAULT_MAX_TEXT_CHARS",
    "SUPPORTED_LANGUAGES",
    "CodePropertyGraph",
    "Edge",
    "EdgeType",
    "ExtractionResult",
    "GraphColumns",
    "JoernError",
    "JoernNotFoundError",
    "Node",
    "extract",
    "extract_many",
    "normalize_language",
]
