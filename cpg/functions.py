"""One graph per function of a file (as comex's per-method mode): :func:`extract_functions`.

The file is parsed and analysed once; each top-level function (a method, a function, a constructor: any
:attr:`LanguageSpec.function_kinds` node not inside another function) becomes the subgraph of its AST subtree
(nested lambdas and local functions included, with their exits), with every edge between its nodes. Edges that
leave the function (a ``CALL`` of another function of the file) are counted in :attr:`FunctionGraph.cut_edges`.
Spans stay positions in the file. ``max_nodes`` applies to each function (the file itself is bounded only by the
input limits of :mod:`cpg.extraction`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cpg.calls import function_name
from cpg.extraction import DEFAULT_MAX_NODES, DEFAULT_MAX_TEXT_CHARS, _check, _prepare
from cpg.graph import CodePropertyGraph, Edge, EdgeType
from cpg.treesitter import extract_with_table

#: node budget for the whole file before it is split (the input limits bound it long before this)
FILE_MAX_NODES = 1 << 30


@dataclass
class FunctionGraph:
    """The graph of one function of a file."""

    name: str | None  #: its declared name (None for an anonymous top-level function)
    start: tuple[int, int]  #: 0-based (line, column) of the function in the file
    graph: CodePropertyGraph
    cut_edges: int = 0  #: edges between this function and the rest of the file, left out


def extract_functions(
    code: str | bytes,
    language: str,
    max_nodes: int = DEFAULT_MAX_NODES,
    *,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
) -> list[FunctionGraph]:
    """The graph of every top-level function of ``code``, in source order (tree-sitter backend; never raises for
    bad code: a file with syntax errors gives the functions the parser recovered, each graph with the file's
    warnings)."""
    spec = _check(language, "treesitter", max_nodes, max_text_chars)
    text, warnings = _prepare(code)
    if not text.strip():
        return []
    graph, table = extract_with_table(text, spec, FILE_MAX_NODES, max_text_chars)
    warnings += graph.warnings
    function_kinds = spec.function_kinds
    children: dict[int, list[int]] = {}
    for edge in graph.edges:
        if edge.type == EdgeType.AST:
            children.setdefault(edge.src, []).append(edge.dst)
    results = []
    for function in table.functions:
        ancestor = table.parents[function]
        while ancestor >= 0 and table.kinds[ancestor] not in function_kinds:
            ancestor = table.parents[ancestor]
        if ancestor >= 0:
            continue  # nested: part of its enclosing function's graph
        members = _subtree(children, function)
        name = function_name(table, function)
        subgraph, cut = _subgraph(graph, members, max_nodes, warnings)
        decoded = name.decode("utf-8", "replace") if name is not None else None
        results.append(FunctionGraph(decoded, graph.nodes[function].start, subgraph, cut))
    return results


def _subtree(children: dict[int, list[int]], root: int) -> list[int]:
    """``root`` and its AST descendants, in node order."""
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(children.get(node, ()))
    return sorted(found)


def _subgraph(
    graph: CodePropertyGraph, members: list[int], max_nodes: int, warnings: list[str]
) -> tuple[CodePropertyGraph, int]:
    """The graph on ``members`` (the first ``max_nodes`` of them), and the count of edges that leave it."""
    truncated = len(members) > max_nodes
    kept = members[:max_nodes]
    position = {node: k for k, node in enumerate(kept)}
    inside = set(members)
    edges, cut = [], 0
    for edge in graph.edges:
        src, dst = position.get(edge.src), position.get(edge.dst)
        if src is not None and dst is not None:
            edges.append(Edge(src, dst, edge.type, edge.label))
        elif edge.type != EdgeType.AST and (edge.src in inside) != (edge.dst in inside):
            cut += 1
    notes = list(warnings)
    if truncated:
        notes.append(f"truncated: the function has more than max_nodes={max_nodes} nodes; kept the first ones")
    nodes = [graph.nodes[node] for node in kept]
    return CodePropertyGraph(graph.language, graph.backend, nodes, edges, notes, truncated), cut
