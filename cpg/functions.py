"""One graph per function of a file (as comex's per-method mode): :func:`extract_functions`; the functions' source
texts without any analysis (a per-method dataset from whole files, CodeSearchNet's unit): :func:`split_functions`.

The file is parsed and analysed once; each top-level function (a method, a function, a constructor: any
:attr:`LanguageSpec.function_kinds` node not inside another function) becomes the subgraph of its AST subtree
(nested lambdas and local functions included, with their exits), with every edge between its nodes. Edges that
leave the function (a ``CALL`` of another function of the file) are counted in :attr:`FunctionGraph.cut_edges`.
Spans stay positions in the file. ``max_nodes`` applies to each function, cut as a snippet is (:mod:`cpg.truncation`;
the file itself is bounded only by the input limits of :mod:`cpg.extraction`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cpg.calls import function_name
from cpg.extraction import DEFAULT_MAX_NODES, DEFAULT_MAX_TEXT_CHARS, check_options, prepare_code
from cpg.graph import CodePropertyGraph, Edge, EdgeType
from cpg.languages import get_spec
from cpg.syntax import SyntaxTable, collect, parse
from cpg.treesitter import extract_with_table
from cpg.truncation import truncate


@dataclass
class FunctionGraph:
    """The graph of one function of a file."""

    name: str | None  #: its declared name (None for an anonymous top-level function)
    start: tuple[int, int]  #: 0-based (line, column) of the function in the file
    graph: CodePropertyGraph
    cut_edges: int = 0  #: edges between this function and the rest of the file, left out


@dataclass(frozen=True)
class FunctionSource:
    """The source text of one function of a file."""

    name: str | None  #: its declared name (None for an anonymous top-level function)
    start: tuple[int, int]  #: 0-based (line, byte column) of the function in the file
    code: str  #: its text, from its first token (modifiers, decorators' target) to its last


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
    spec = check_options(language, "treesitter", max_nodes, max_text_chars)
    text, warnings = prepare_code(code)
    if not text.strip():
        return []
    graph, table = extract_with_table(text, spec, max_text_chars)
    warnings += graph.warnings
    children: dict[int, list[int]] = {}
    for edge in graph.edges:
        if edge.type == EdgeType.AST:
            children.setdefault(edge.src, []).append(edge.dst)
    functions = _top_level_functions(table)
    members = [_subtree(children, function) for function in functions]
    owner = [-1] * graph.num_nodes  # the function (index in ``functions``) each node belongs to, -1: none
    for k, nodes in enumerate(members):
        for node in nodes:
            owner[node] = k
    inner: list[list[Edge]] = [[] for _ in functions]  # one pass over the edges: linear in the file
    cut = [0] * len(functions)
    for edge in graph.edges:
        src, dst = owner[edge.src], owner[edge.dst]
        if src == dst:
            if src >= 0:
                inner[src].append(edge)
        elif edge.type != EdgeType.AST:
            for end in (src, dst):
                if end >= 0:
                    cut[end] += 1
    results = []
    for k, function in enumerate(functions):
        name = function_name(table, function)
        subgraph = _subgraph(graph, members[k], inner[k], max_nodes, warnings)
        decoded = name.decode("utf-8", "replace") if name is not None else None
        results.append(FunctionGraph(decoded, graph.nodes[function].start, subgraph, cut[k]))
    return results


def split_functions(code: str | bytes, language: str) -> list[FunctionSource]:
    """The source text of every top-level function of ``code`` (a whole file), in source order.

    Only parses (no flow analysis), and the whole file: unlike :func:`extract_functions` the input is not cut to
    the extraction limits, since parsing is linear in the input. Functions nested in others stay inside their
    enclosing function's text. Bad code gives the functions the parser recovered.
    """
    spec = get_spec(language)
    text, _ = prepare_code(code, bounded=False)
    parsed = parse(text.encode("utf-8"), spec)
    table = collect(parsed, spec)
    results = []
    source = parsed.source
    line, counted = -parsed.line_offset, 0  # lines before byte ``counted`` (functions come in source order)
    for function in _top_level_functions(table):
        start = table.starts_b[function]
        line += source.count(b"\n", counted, start)
        counted = start
        line_start = source.rfind(b"\n", 0, start) + 1
        name = function_name(table, function)
        results.append(FunctionSource(
            name.decode("utf-8", "replace") if name is not None else None,
            (line, start - line_start),
            table.source_bytes(function).decode("utf-8", "replace"),
        ))
    return results


def _top_level_functions(table: SyntaxTable) -> list[int]:
    """The functions of ``table`` that are not inside another function, in node order."""
    function_kinds, kinds, parents = table.spec.function_kinds, table.kinds, table.parents
    found = []
    for function in table.functions:
        ancestor = parents[function]
        while ancestor >= 0 and kinds[ancestor] not in function_kinds:
            ancestor = parents[ancestor]
        if ancestor < 0:
            found.append(function)
    return found


def _subtree(children: dict[int, list[int]], root: int) -> list[int]:
    """``root`` and its AST descendants, in node order."""
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(children.get(node, ()))
    return sorted(found)


def _subgraph(
    graph: CodePropertyGraph, members: list[int], edges: list[Edge], max_nodes: int, warnings: list[str]
) -> CodePropertyGraph:
    """The graph on ``members`` with ``edges`` (all between members), renumbered, cut to ``max_nodes`` nodes as
    :func:`cpg.truncation.truncate` cuts a snippet's."""
    position = {node: k for k, node in enumerate(members)}
    renumbered = [Edge(position[edge.src], position[edge.dst], edge.type, edge.label) for edge in edges]
    nodes = [graph.nodes[node] for node in members]
    return truncate(CodePropertyGraph(graph.language, graph.backend, nodes, renumbered, list(warnings)), max_nodes)
