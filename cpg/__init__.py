"""Code property graph extraction: source code -> AST + CFG + DDG + CDG (+ CALL, ARGUMENT) in one graph type.

- :func:`extract` one snippet, :func:`extract_many` a dataset (multiprocessing, on-disk cache, shards),
  :func:`extract_functions` one graph per function of a file, :func:`split_functions` the functions' texts.
- Backends: ``treesitter`` (in-process; :data:`SUPPORTED_LANGUAGES`) and ``joern`` (batched ``joern-parse`` runs).
- CFG edges carry a label (:data:`CFG_LABELS`), DDG edges their variable's name.
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
from cpg.functions import FunctionGraph, FunctionSource, extract_functions, split_functions
from cpg.graph import CFG_LABELS, CodePropertyGraph, Edge, EdgeType, GraphColumns, Node
from cpg.joern import JoernError, JoernNotFoundError
from cpg.languages import SUPPORTED_LANGUAGES, normalize_language

__all__ = [
    "BACKENDS",
    "CFG_LABELS",
    "DEFAULT_MAX_NODES",
    "DEFAULT_MAX_TEXT_CHARS",
    "SUPPORTED_LANGUAGES",
    "CodePropertyGraph",
    "Edge",
    "EdgeType",
    "ExtractionResult",
    "FunctionGraph",
    "FunctionSource",
    "GraphColumns",
    "JoernError",
    "JoernNotFoundError",
    "Node",
    "extract",
    "extract_functions",
    "extract_many",
    "normalize_language",
    "split_functions",
]
