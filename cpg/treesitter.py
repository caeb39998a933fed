"""The in-process tree-sitter backend: code -> :class:`~cpg.graph.CodePropertyGraph` with AST, CFG, DDG, CDG.

Nodes are the *named* tree-sitter nodes of the snippet in pre-order (punctuation and keywords are left out; an
operator stays visible in its parent's text), plus one synthetic ``method_exit`` node per CFG unit (an AST
child of its function, spanning zero characters at the function's end). ``Node.text`` is the code the node
covers, cut to ``max_text_chars`` characters (the span stays exact); spans are 0-based (line, column) in the
snippet with columns counted in characters.
"""

from __future__ import annotations

from cpg.cfg import Unit, build_units
from cpg.dataflow import control_dependencies, data_dependencies, definitions_and_uses
from cpg.graph import CodePropertyGraph, Edge, EdgeType, Node
from cpg.languages import LanguageSpec
from cpg.syntax import SyntaxTable, collect, parse

EXIT_KIND = "method_exit"


def extract_treesitter(code: str, spec: LanguageSpec, max_nodes: int, max_text_chars: int) -> CodePropertyGraph:
    """Extract the CPG of ``code`` (never empty: callers handle empty input)."""
    source = code.encode("utf-8")
    parsed = parse(source, spec)
    table = collect(parsed, spec, max_nodes)
    warnings: list[str] = []
    if parsed.tree.root_node.has_error:
        warnings.append(
            f"syntax errors: the parser recovered ({table.num_errors} ERROR node(s) or missing tokens); "
            "the graph is partial"
        )
    if table.truncated:
        warnings.append(f"truncated: the snippet has more than max_nodes={max_nodes} nodes; kept the first ones")
    try:
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
    return CodePropertyGraph(spec.name, "treesitter", nodes, edges, warnings, table.truncated)


def _flow_edges(table: SyntaxTable, units: list[Unit]) -> list[Edge]:
    if not units:
        return []
    defs, uses = definitions_and_uses(table, units)
    entries = {unit.entry for unit in units}
    edges: list[Edge] = []
    for edge_type, pairs in (
        (EdgeType.CFG, [pair for unit in units for pair in unit.edges]),
        (EdgeType.DDG, [pair for unit in units for pair in data_dependencies(unit, defs, uses, entries)]),
        (EdgeType.CDG, [pair for unit in units for pair in control_dependencies(unit)]),
    ):
        edges += [Edge(src, dst, edge_type) for src, dst in dict.fromkeys(pairs)]
    return edges


def _nodes(table: SyntaxTable, code: str, units: list[Unit], max_text_chars: int) -> list[Node]:
    parsed = table.parsed
    offset, line_offset = parsed.offset, parsed.line_offset
    kinds, starts_b, ends_b = table.kinds, table.starts_b, table.ends_b
    nodes: list[Node] = []
    append = nodes.append
    if code.isascii():  # byte offsets are character offsets
        for index, kind in enumerate(kinds):
            start = starts_b[index] - offset
            end = min(ends_b[index] - offset, start + max_text_chars)
            row, column = table.starts[index]
            end_row, end_column = table.ends[index]
            append(Node(kind, code[start:end], (row - line_offset, column), (end_row - line_offset, end_column)))
    else:
        to_char = _CharColumns(parsed.source, line_offset)
        source = parsed.source
        for index, kind in enumerate(kinds):
            start = starts_b[index]
            raw = source[start : min(ends_b[index], start + 4 * max_text_chars)]
            text = raw.decode("utf-8", "replace")[:max_text_chars]
            append(Node(kind, text, to_char(table.starts[index]), to_char(table.ends[index])))
    for unit in units:
        end = nodes[unit.entry].end
        append(Node(EXIT_KIND, "", end, end))
    return nodes


class _CharColumns:
    """Maps tree-sitter (row, byte column) points of the parsed source to snippet (line, character column)."""

    def __init__(self, source: bytes, line_offset: int) -> None:
        self.lines = source.split(b"\n")
        self.line_offset = line_offset
        self.cache: dict[tuple[int, int], tuple[int, int]] = {}

    def __call__(self, point: tuple[int, int]) -> tuple[int, int]:
        row, column = point
        mapped = self.cache.get((row, column))
        if mapped is None:
            prefix = self.lines[row][:column] if row < len(self.lines) else b""
            mapped = self.cache[(row, column)] = (row - self.line_offset, len(prefix.decode("utf-8", "replace")))
        return mapped
