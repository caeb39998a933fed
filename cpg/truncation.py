"""Cutting a graph to ``max_nodes`` nodes while keeping its statements and the flow between them.

A node is **statement-level** when it is an end of a CFG, DDG or CDG edge (a unit's entry, a statement, an exit) or
an AST ancestor of one (a block, a class, the file); every other node is **expression-level** (conditions,
expressions, identifiers, parameter lists, types). A graph over the budget loses expression-level nodes first,
leaves first (fewest levels below them; among those the deepest, then the last), so every statement and every flow
edge stays. Only when the statement-level nodes alone exceed the budget are they cut too: the first ones in
pre-order are kept (an exit counts right after its function), and no expression-level node.

Either way a kept node's AST parent is kept (a dropped expression's descendants are all dropped before it), so the
kept AST edges still form a tree and no edge needs re-attaching; edges with a dropped end are dropped. The graph
gets ``truncated=True`` and a warning that counts the dropped nodes of each level.
"""

from __future__ import annotations

from cpg.graph import EXIT_KIND, CodePropertyGraph, Edge, EdgeType

#: edge types whose ends are statement-level
FLOW_TYPES = frozenset({EdgeType.CFG, EdgeType.DDG, EdgeType.CDG})


def truncate(graph: CodePropertyGraph, max_nodes: int) -> CodePropertyGraph:
    """``graph`` itself when it has at most ``max_nodes`` nodes, else its truncated copy (see the module)."""
    if graph.num_nodes <= max_nodes:
        return graph
    parents = ast_parents(graph)
    order = preorder(parents, {i for i, node in enumerate(graph.nodes) if node.kind == EXIT_KIND})
    statements = statement_level(graph, parents)
    if len(statements) <= max_nodes:
        kept = statements | leaves_last(order, parents, statements, max_nodes - len(statements))
    else:
        kept = set([node for node in order if node in statements][:max_nodes])  # a pre-order prefix
    cut_statements = len(statements - kept)
    cut_expressions = graph.num_nodes - len(kept) - cut_statements
    warning = f"truncated to max_nodes={max_nodes}: dropped {cut_expressions:,} expression-level nodes"
    if cut_statements:
        warning += f" and {cut_statements:,} statement-level nodes (statements alone exceed it: kept the first ones)"
    else:
        warning += " (every statement and flow edge kept)"
    return subgraph(graph, sorted(kept), warning)


def ast_parents(graph: CodePropertyGraph) -> list[int]:
    """The AST parent of every node (-1 for a root)."""
    parents = [-1] * graph.num_nodes
    for edge in graph.edges:
        if edge.type == EdgeType.AST:
            parents[edge.dst] = edge.src
    return parents


def preorder(parents: list[int], first: set[int]) -> list[int]:
    """The nodes in AST pre-order (siblings by index, those in ``first`` before the others)."""
    children: list[list[int]] = [[] for _ in parents]
    roots = []
    for node, parent in enumerate(parents):
        (children[parent] if parent >= 0 else roots).append(node)
    order: list[int] = []
    stack = roots[::-1]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(sorted(children[node], key=lambda child: (child in first, -child)))
    return order


def statement_level(graph: CodePropertyGraph, parents: list[int]) -> set[int]:
    """The ends of the flow edges and their AST ancestors."""
    found: set[int] = set()
    for edge in graph.edges:
        if edge.type in FLOW_TYPES:
            for node in (edge.src, edge.dst):
                while node >= 0 and node not in found:
                    found.add(node)
                    node = parents[node]
    return found


def leaves_last(order: list[int], parents: list[int], statements: set[int], budget: int) -> set[int]:
    """The ``budget`` expression-level nodes to keep: the last ones to drop, when leaves go first (the lowest
    height, then the deepest, then the last in ``order``, a pre-order)."""
    depth = [0] * len(parents)
    for node in order:
        if parents[node] >= 0:
            depth[node] = depth[parents[node]] + 1
    height = [0] * len(parents)
    for node in reversed(order):
        parent = parents[node]
        if parent >= 0 and height[parent] <= height[node]:
            height[parent] = height[node] + 1
    rank = {node: k for k, node in enumerate(order)}
    expressions = [node for node in order if node not in statements]
    expressions.sort(key=lambda node: (height[node], -depth[node], -rank[node]), reverse=True)
    return set(expressions[:budget])


def subgraph(graph: CodePropertyGraph, kept: list[int], warning: str) -> CodePropertyGraph:
    """The graph on the ``kept`` nodes (ascending) and the edges between them, renumbered, with ``warning``."""
    position = {node: k for k, node in enumerate(kept)}
    edges = []
    for edge in graph.edges:
        src, dst = position.get(edge.src), position.get(edge.dst)
        if src is not None and dst is not None:
            edges.append(Edge(src, dst, edge.type, edge.label))
    nodes = [graph.nodes[node] for node in kept]
    return CodePropertyGraph(graph.language, graph.backend, nodes, edges, [*graph.warnings, warning], True)
