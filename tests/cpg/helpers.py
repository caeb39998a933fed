"""Helpers for CPG tests: find nodes and edges by the code they cover."""

from __future__ import annotations

from cpg.graph import CodePropertyGraph, EdgeType


def norm(text: str) -> str:
    return " ".join(text.split())


def edge_texts(graph: CodePropertyGraph, edge_type: EdgeType) -> set[tuple[str, str]]:
    """Edges of one type as (source node text, target node text), whitespace-normalized ('' for exits)."""
    nodes = graph.nodes
    return {(norm(nodes[e.src].text), norm(nodes[e.dst].text)) for e in graph.edges if e.type == edge_type}


def node_index(graph: CodePropertyGraph, text: str, kind: str | None = None) -> int:
    """Index of the first node with exactly this (normalized) text (and kind)."""
    for index, node in enumerate(graph.nodes):
        if norm(node.text) == text and (kind is None or node.kind == kind):
            return index
    raise AssertionError(f"no node {kind or ''} {text!r}")
