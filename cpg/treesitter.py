"""The in-process tree-sitter backend: code -> :class:`~cpg.graph.CodePropertyGraph` with AST, CFG, DDG, CDG.

Nodes are the *named* tree-sitter nodes of the snippet in pre-order (punctuation and keywords are left out; an
operator stays visible in its parent's text), plus one synthetic ``method_exit`` node per CFG unit (an AST
child of its function, spanning zero characters at the function's end). The whole snippet is analysed; a graph
over ``max_nodes`` is then cut, expressions first (:mod:`cpg.truncation`). ``Node.text`` is the code the node
covers, cut to ``max_text_chars`` characters (the span stays exact); spans are 0-based (line, column) in the
snippet with columns counted in characters.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from bisect import bisect_right

from cpg.calls import call_edges
from cpg.cfg import Unit, build_units, edge_labels
from cpg.dataflow import control_dependencies, data_dependencies, definitions_and_uses
from cpg.graph import EXIT_KIND, CodePropertyGraph, Edge, EdgeType, Node
from cpg.languages import LanguageSpec
from cpg.syntax import SyntaxTable, collect, parse
from cpg.truncation import truncate


def extract_treesitter(code: str, spec: LanguageSpec, max_nodes: int, max_text_chars: int) -> CodePropertyGraph:
    """Extract the CPG of ``code`` (never empty: callers handle empty input), cut to ``max_nodes`` nodes."""
    return truncate(extract_with_table(code, spec, max_text_chars)[0], max_nodes)


def extract_with_table(code: str, spec: LanguageSpec, max_text_chars: int) -> tuple[CodePropertyGraph, SyntaxTable]:
    """The whole (untruncated) graph of ``code``, and the syntax table its first ``len(table)`` nodes come from."""
    source = code.encode("utf-8")
    parsed = parse(source, spec)
    table = collect(parsed, spec)
    warnings: list[str] = []
    if parsed.tree.root_node.has_error:
        warnings.append(
            f"syntax errors: the parser recovered ({table.num_errors} ERROR node(s) or missing tokens); "
            "the graph is partial"
        )
    try:
        with _recursion_room(len(table)):
            units = build_units(table)
            flow = _flow_edges(table, units)
    except RecursionError:
        warnings.append("control and data flow skipped: statements are nested too deeply")
        units, flow = [], []
    nodes = _nodes(table, code, units, max_text_chars)
    ast = EdgeType.AST
    edges = [Edge(parent, child, ast) for child, parent in enumerate(table.parents) if parent >= 0]
    edges += [Edge(unit.entry, unit.exit, ast) for unit in units]
    edges += flow
    calls, arguments = call_edges(table)
    edges += [Edge(call, function, EdgeType.CALL) for call, function in calls]
    edges += [Edge(call, argument, EdgeType.ARGUMENT) for call, argument in arguments]
    return CodePropertyGraph(spec.name, "treesitter", nodes, edges, warnings), table


#: Python frames the CFG builder may stack per syntax node (statement -> role handler -> block -> statement ...)
FRAMES_PER_NODE = 8


@contextmanager
def _recursion_room(num_nodes: int):
    """Raise Python's recursion limit for the CFG builder, which recurses once per nesting level: nesting is
    bounded by the node count (itself bounded by the input limits), so every snippet within the bounds gets its
    flow edges (198 nested ``if``s lost them all at the default limit of 1,000)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, FRAMES_PER_NODE * num_nodes + 1_000))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _flow_edges(table: SyntaxTable, units: list[Unit]) -> list[Edge]:
    """CFG edges with their labels, DDG edges with their variable names, CDG edges (duplicates dropped)."""
    if not units:
        return []
    variables = definitions_and_uses(table, units)
    entries = {unit.entry for unit in units}
    cfg = {(src, dst): label for unit in units for (src, dst), label in zip(unit.edges, edge_labels(table, unit))}
    ddg = [edge for unit in units for edge in data_dependencies(unit, variables, entries)]
    cdg = [pair for unit in units for pair in control_dependencies(unit)]
    edges = [Edge(src, dst, EdgeType.CFG, label) for (src, dst), label in cfg.items()]
    edges += [Edge(src, dst, EdgeType.DDG, name.decode("utf-8", "replace")) for src, dst, name in dict.fromkeys(ddg)]
    edges += [Edge(src, dst, EdgeType.CDG) for src, dst in dict.fromkeys(cdg)]
    return edges


def _nodes(table: SyntaxTable, code: str, units: list[Unit], max_text_chars: int) -> list[Node]:
    """Node objects; (line, column) positions come from byte offsets and the parsed source's line starts."""
    parsed = table.parsed
    source, offset, line_offset = parsed.source, parsed.offset, parsed.line_offset
    kinds, starts_b, ends_b = table.kinds, table.starts_b, table.ends_b
    nodes: list[Node] = []
    append = nodes.append
    is_ascii = code.isascii()
    if is_ascii and "\n" not in code:  # one-line snippet (CodeXGLUE methods): columns are offsets into ``code``
        for index, kind in enumerate(kinds):
            start = starts_b[index] - offset
            end = ends_b[index] - offset
            append(Node(kind, code[start : min(end, start + max_text_chars)], (0, start), (0, end)))
    else:
        line_starts = [0]
        newline = source.find(b"\n")
        while newline >= 0:
            line_starts.append(newline + 1)
            newline = source.find(b"\n", newline + 1)
        to_point = _Points(source, line_starts, line_offset, is_ascii)
        for index, kind in enumerate(kinds):
            start = starts_b[index]
            end = ends_b[index]
            if to_point.ascii:
                text = code[start - offset : min(end, start + max_text_chars) - offset]
            else:
                text = source[start : min(end, start + 4 * max_text_chars)].decode("utf-8", "replace")[:max_text_chars]
            append(Node(kind, text, to_point(start), to_point(end)))
    for unit in units:
        end_point = nodes[unit.entry].end
        append(Node(EXIT_KIND, "", end_point, end_point))
    return nodes


class _Points:
    """Byte offset in the parsed source -> snippet (line, column), columns counted in characters."""

    def __init__(self, source: bytes, line_starts: list[int], line_offset: int, is_ascii: bool) -> None:
        self.source = source
        self.line_starts = line_starts
        self.line_offset = line_offset
        self.ascii = is_ascii

    def __call__(self, position: int) -> tuple[int, int]:
        row = bisect_right(self.line_starts, position) - 1
        line_start = self.line_starts[row]
        if self.ascii:
            return row - self.line_offset, position - line_start
        return row - self.line_offset, len(self.source[line_start:position].decode("utf-8", "replace"))
