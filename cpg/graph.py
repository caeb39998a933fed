"""The one graph type shared by every CPG backend.

A :class:`CodePropertyGraph` holds nodes (kind, covered code text, source span) and typed directed edges
(:class:`EdgeType`). It converts to ``torch_geometric.data.Data`` (``edge_index`` + ``edge_type``), to
networkx, and to/from a JSON-able dict (the ``--format json`` output and the on-disk cache format).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import torch


class EdgeType(IntEnum):
    """Edge types of a code property graph; the integer value is the PyG ``edge_type``."""

    AST = 0  # parent -> child in the syntax tree
    CFG = 1  # statement-level control flow: a statement -> a statement that may run next
    DDG = 2  # data dependency: a definition of a variable -> a use it reaches along the CFG
    CDG = 3  # control dependency: a branching statement -> a statement whose execution it decides


@dataclass(frozen=True)
class Node:
    """One CPG node. ``start``/``end`` are 0-based ``(line, column)`` positions; ``end`` is exclusive."""

    kind: str
    text: str
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(frozen=True)
class Edge:
    """A directed, typed edge between two node indices."""

    src: int
    dst: int
    type: EdgeType


@dataclass
class CodePropertyGraph:
    """A code property graph of one snippet.

    ``warnings`` counts problems met while building it (syntax errors recovered, truncation); ``truncated``
    says whether nodes were dropped to respect a maximum node count.
    """

    language: str
    backend: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    def edge_counts(self) -> dict[str, int]:
        """Number of edges per edge type name, every type listed (zero included)."""
        counts = Counter(edge.type.name for edge in self.edges)
        return {edge_type.name: counts.get(edge_type.name, 0) for edge_type in EdgeType}

    def edges_of(self, edge_type: EdgeType) -> list[Edge]:
        return [edge for edge in self.edges if edge.type == edge_type]

    def to_pyg(self) -> Any:
        """Convert to ``torch_geometric.data.Data``.

        Fields: ``edge_index`` (2, E) long, ``edge_type`` (E,) long (values of :class:`EdgeType`),
        ``node_kind`` and ``node_text`` (lists of N strings), ``num_nodes`` N.
        """
        from torch_geometric.data import Data

        if self.edges:
            edge_index = torch.tensor([[e.src for e in self.edges], [e.dst for e in self.edges]], dtype=torch.long)
            edge_type = torch.tensor([int(e.type) for e in self.edges], dtype=torch.long)
        else:
            edge_index = torch.empty((2, 0), dtype=torch.long)
            edge_type = torch.empty((0,), dtype=torch.long)
        return Data(
            edge_index=edge_index,
            edge_type=edge_type,
            node_kind=[n.kind for n in self.nodes],
            node_text=[n.text for n in self.nodes],
            num_nodes=self.num_nodes,
        )

    def to_networkx(self) -> Any:
        """Convert to a ``networkx.MultiDiGraph``; node attributes kind/text/start/end, edge attribute type."""
        import networkx as nx

        graph = nx.MultiDiGraph(language=self.language, backend=self.backend)
        for index, node in enumerate(self.nodes):
            graph.add_node(index, kind=node.kind, text=node.text, start=node.start, end=node.end)
        for edge in self.edges:
            graph.add_edge(edge.src, edge.dst, type=edge.type.name)
        return graph

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict: nodes with kind/text/span, edges with ``src``, ``dst``, ``type`` (type name)."""
        return {
            "language": self.language,
            "backend": self.backend,
            "truncated": self.truncated,
            "warnings": list(self.warnings),
            "nodes": [
                {"id": i, "kind": n.kind, "text": n.text, "start": list(n.start), "end": list(n.end)}
                for i, n in enumerate(self.nodes)
            ],
            "edges": [{"src": e.src, "dst": e.dst, "type": e.type.name} for e in self.edges],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodePropertyGraph:
        """Inverse of :meth:`to_dict`."""
        return cls(
            language=data["language"],
            backend=data["backend"],
            nodes=[Node(n["kind"], n["text"], tuple(n["start"]), tuple(n["end"])) for n in data["nodes"]],
            edges=[Edge(e["src"], e["dst"], EdgeType[e["type"]]) for e in data["edges"]],
            warnings=list(data.get("warnings", [])),
            truncated=bool(data.get("truncated", False)),
        )
