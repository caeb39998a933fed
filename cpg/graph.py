"""The one graph type shared by every CPG backend.

A :class:`CodePropertyGraph` holds nodes (kind, covered code text, source span) and typed directed edges
(:class:`EdgeType`), each with an optional label: a CFG edge's kind of flow (:data:`CFG_LABELS`), a DDG edge's
variable name. It converts to ``torch_geometric.data.Data`` (``edge_index`` + ``edge_type``), to
networkx, and to/from a JSON-able dict (the ``--format json`` output).

A graph can also be held as compact columns (:class:`GraphColumns`, the on-disk cache form): a graph made with
:meth:`CodePropertyGraph.from_columns` builds its ``nodes``/``edges`` lists only when they are first accessed,
and :meth:`~CodePropertyGraph.to_pyg`, :attr:`~CodePropertyGraph.num_nodes` and
:meth:`~CodePropertyGraph.edge_counts` read the columns directly, so loading many cached graphs stays cheap.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class EdgeType(IntEnum):
    """Edge types of a code property graph; the integer value is the PyG ``edge_type``."""

    AST = 0  # parent -> child in the syntax tree
    CFG = 1  # statement-level control flow: a statement -> a statement that may run next
    DDG = 2  # data dependency: a definition of a variable -> a use it reaches along the CFG
    CDG = 3  # control dependency: a branching statement -> a statement whose execution it decides
    CALL = 4  # a call expression -> the function it calls, when that function is defined in the same graph
    ARGUMENT = 5  # a call expression -> each of its argument expressions


#: labels of CFG edges: ``next`` (sequence), ``true``/``false`` (the two ways out of a condition: into an ``if``
#: branch or loop body / past it), ``back`` (to a loop header from its body), ``break``, ``continue``, ``return``,
#: ``exception`` (into a handler, or a ``throw``), ``case`` (from a switch into a case), ``goto``
CFG_LABELS: tuple[str, ...] = ("next", "true", "false", "back", "break", "continue", "return", "exception", "case", "goto")
#: a CFG label -> its ``cfg_label`` id in :meth:`CodePropertyGraph.to_pyg` (0: no label)
CFG_LABEL_IDS: dict[str, int] = {label: k + 1 for k, label in enumerate(CFG_LABELS)}
#: the kind of the synthetic exit node of each CFG unit (tree-sitter backend): an AST child of its function
EXIT_KIND = "method_exit"


@dataclass(frozen=True, slots=True)
class Node:
    """One CPG node. ``start``/``end`` are 0-based ``(line, column)`` positions; ``end`` is exclusive."""

    kind: str
    text: str
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed, typed edge between two node indices; ``label``: a CFG edge's :data:`CFG_LABELS` entry, a DDG
    edge's variable name (several variables between the same two statements are separate edges), else ``""``."""

    src: int
    dst: int
    type: EdgeType
    label: str = ""


_EDGE_TYPES = tuple(EdgeType)


class GraphColumns:
    """A graph's nodes and edges as flat sequences (what the cache stores); treat it as read-only.

    ``node_kinds[i]`` indexes ``kinds``; ``spans`` holds 4 ints per node (start line, start column, end line,
    end column); ``edges`` holds 3 ints per edge (src, dst, :class:`EdgeType` value); ``edge_labels[j]`` indexes
    ``labels`` (the distinct edge labels, ``labels[0] == ""``). The int sequences are lists, or ``array("i")``
    when read from the cache. Columns read from the cache keep the kind names, labels and node texts as one
    NUL-joined string (:meth:`from_joined`) and split it on first access of ``kinds``, ``labels`` or ``texts``:
    loading many graphs then makes no per-string objects, and gives the garbage collector fewer to scan.
    """

    __slots__ = ("_joined", "_kinds", "_labels", "_num_kinds", "_num_labels", "_texts", "edge_labels", "edges",
                 "node_kinds", "spans")  # fmt: skip

    def __init__(
        self,
        kinds: list[str],
        node_kinds: Sequence[int],
        texts: list[str],
        spans: Sequence[int],
        edges: Sequence[int],
        labels: list[str] | None = None,
        edge_labels: Sequence[int] | None = None,
    ) -> None:
        self.node_kinds, self.spans, self.edges = node_kinds, spans, edges
        self.edge_labels: Sequence[int] = edge_labels if edge_labels is not None else [0] * (len(edges) // 3)
        self._kinds: list[str] | None = kinds
        self._texts: list[str] | None = texts
        self._labels: list[str] | None = labels if labels else [""]
        self._joined, self._num_kinds, self._num_labels = "", 0, 0

    @classmethod
    def from_joined(
        cls,
        joined: str,
        num_kinds: int,
        num_labels: int,
        node_kinds: Sequence[int],
        spans: Sequence[int],
        edges: Sequence[int],
        edge_labels: Sequence[int],
    ) -> GraphColumns:
        """Columns whose kind names, edge labels and then node texts are ``joined`` by NUL characters (none may
        hold a NUL; the labels include the leading ``""``)."""
        columns = cls([], node_kinds, [], spans, edges, None, edge_labels)
        columns._kinds = columns._texts = columns._labels = None
        columns._joined, columns._num_kinds, columns._num_labels = joined, num_kinds, num_labels
        return columns

    @property
    def kinds(self) -> list[str]:
        """The distinct kind names."""
        if self._kinds is None:
            self._split()
        return self._kinds  # type: ignore[return-value]

    @property
    def texts(self) -> list[str]:
        """The code text of every node."""
        if self._texts is None:
            self._split()
        return self._texts  # type: ignore[return-value]

    @property
    def labels(self) -> list[str]:
        """The distinct edge labels, ``""`` first."""
        if self._labels is None:
            self._split()
        return self._labels  # type: ignore[return-value]

    def _split(self) -> None:
        strings = self._joined.split("\0")
        labels_end = self._num_kinds + self._num_labels
        self._kinds, self._labels = strings[: self._num_kinds], strings[self._num_kinds : labels_end]
        self._texts = strings[labels_end:] if len(strings) > labels_end else []
        self._joined = ""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GraphColumns):
            return NotImplemented
        return (self.kinds, self.texts, self.edge_label_names(),
                *map(list, (self.node_kinds, self.spans, self.edges))) == (
            other.kinds,
            other.texts,
            other.edge_label_names(),
            *map(list, (other.node_kinds, other.spans, other.edges)),
        )

    def __repr__(self) -> str:
        return f"GraphColumns({len(self.node_kinds)} nodes, {len(self.edges) // 3} edges)"

    @classmethod
    def of(cls, nodes: list[Node], edges: list[Edge]) -> GraphColumns:
        """The columns of ``nodes`` and ``edges``."""
        vocabulary: dict[str, int] = {}
        node_kinds = [vocabulary.setdefault(node.kind, len(vocabulary)) for node in nodes]
        spans: list[int] = []
        for node in nodes:
            spans += (*node.start, *node.end)
        labels: dict[str, int] = {"": 0}
        edge_labels = [labels.setdefault(edge.label, len(labels)) for edge in edges]
        return cls(
            list(vocabulary),
            node_kinds,
            [node.text for node in nodes],
            spans,
            [value for edge in edges for value in (edge.src, edge.dst, int(edge.type))],
            list(labels),
            edge_labels,
        )

    def node_kind_names(self) -> list[str]:
        kinds = self.kinds
        return [kinds[k] for k in self.node_kinds]

    def edge_label_names(self) -> list[str]:
        """The label of every edge."""
        labels = self.labels
        return [labels[k] for k in self.edge_labels]

    def build(self) -> tuple[list[Node], list[Edge]]:
        """The :class:`Node` and :class:`Edge` objects."""
        spans, edges = self.spans, self.edges
        nodes = list(
            map(Node, self.node_kind_names(), self.texts, zip(spans[0::4], spans[1::4]), zip(spans[2::4], spans[3::4]))
        )
        types = _EDGE_TYPES
        return nodes, list(
            map(Edge, edges[0::3], edges[1::3], [types[t] for t in edges[2::3]], self.edge_label_names())
        )


class _Materialized:
    """Data descriptor for ``nodes``/``edges``: a plain list, built from the graph's columns on first access."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, graph: Any, owner: type | None = None) -> Any:
        if graph is None:
            return ()  # the dataclass default; __set__ turns it into a new list
        values = graph.__dict__.get(self.name)
        if values is None:
            graph._materialize()
            values = graph.__dict__[self.name]
        return values

    def __set__(self, graph: Any, values: Any) -> None:
        if "_columns" in graph.__dict__:
            graph._materialize()  # build both lists first so that the other one is not lost
        graph.__dict__[self.name] = values if isinstance(values, list) else list(values)


@dataclass
class CodePropertyGraph:
    """A code property graph of one snippet.

    ``warnings`` counts problems met while building it (syntax errors recovered, truncation); ``truncated``
    says whether nodes were dropped to respect a maximum node count.
    """

    language: str
    backend: str
    nodes: list[Node] = _Materialized()  # type: ignore[assignment]
    edges: list[Edge] = _Materialized()  # type: ignore[assignment]
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False

    @classmethod
    def from_columns(
        cls, language: str, backend: str, columns: GraphColumns, warnings: list[str], truncated: bool
    ) -> CodePropertyGraph:
        """A graph whose ``nodes``/``edges`` are built from ``columns`` only when first accessed."""
        graph = cls.__new__(cls)
        graph.__dict__.update(
            language=language, backend=backend, warnings=warnings, truncated=truncated, _columns=columns
        )
        return graph

    def columns(self) -> GraphColumns:
        """The graph as :class:`GraphColumns` (free for a graph made by :meth:`from_columns` and not yet built)."""
        columns = self.__dict__.get("_columns")
        return columns if columns is not None else GraphColumns.of(self.nodes, self.edges)

    def _materialize(self) -> None:
        columns = self.__dict__.pop("_columns", None)
        nodes, edges = columns.build() if columns is not None else ([], [])
        self.__dict__.update(nodes=nodes, edges=edges)

    @property
    def num_nodes(self) -> int:
        columns = self.__dict__.get("_columns")
        return len(columns.node_kinds) if columns is not None else len(self.nodes)

    def edge_counts(self) -> dict[str, int]:
        """Number of edges per edge type name, every type listed (zero included)."""
        columns = self.__dict__.get("_columns")
        if columns is not None:
            by_value = Counter(columns.edges[2::3])
            return {edge_type.name: by_value.get(int(edge_type), 0) for edge_type in EdgeType}
        counts = Counter(edge.type.name for edge in self.edges)
        return {edge_type.name: counts.get(edge_type.name, 0) for edge_type in EdgeType}

    def edges_of(self, edge_type: EdgeType) -> list[Edge]:
        return [edge for edge in self.edges if edge.type == edge_type]

    def to_pyg(self, variables: bool = True) -> Any:
        """Convert to ``torch_geometric.data.Data``.

        Fields: ``edge_index`` (2, E) long, ``edge_type`` (E,) long (values of :class:`EdgeType`),
        ``cfg_label`` (E,) long (a CFG edge's label as ``1 + CFG_LABELS.index(label)``, 0 for other edges),
        ``node_kind`` and ``node_text`` (lists of N strings), ``node_span`` (N, 4) long (start line, start
        column, end line, end column; 0-based, end exclusive), ``num_nodes`` N; with ``variables``, also
        ``ddg_var`` (E,) long (a DDG edge's variable as an index into ``var_names``, -1 for other edges) and
        ``var_names`` (the graph's V distinct DDG variable names).
        """
        import torch
        from torch_geometric.data import Data

        columns = self.columns()
        edges = columns.edges
        if isinstance(edges, array) and edges:  # zero-copy view of the cache's int32 array
            flat = torch.frombuffer(edges, dtype=torch.int32).long().view(-1, 3)
        else:
            flat = torch.tensor(list(edges), dtype=torch.long).view(-1, 3)
        edge_index, edge_type = flat[:, :2].t().contiguous(), flat[:, 2].contiguous()
        labels, label_ids, types = columns.labels, columns.edge_labels, columns.edges[2::3]
        cfg_ids = [CFG_LABEL_IDS.get(label, 0) for label in labels]
        cfg_label = torch.tensor(
            [cfg_ids[k] if t == EdgeType.CFG else 0 for k, t in zip(label_ids, types)], dtype=torch.long
        )
        data = Data(
            edge_index=edge_index,
            edge_type=edge_type,
            cfg_label=cfg_label,
            node_kind=columns.node_kind_names(),
            node_text=list(columns.texts),
            node_span=torch.tensor(list(columns.spans), dtype=torch.long).view(-1, 4),
            num_nodes=len(columns.node_kinds),
        )
        if variables:
            var_of: dict[int, int] = {}  # label id -> variable id
            ddg_var = [var_of.setdefault(k, len(var_of)) if t == EdgeType.DDG and k else -1 for k, t in zip(label_ids, types)]
            data.ddg_var = torch.tensor(ddg_var, dtype=torch.long)
            data.var_names = [labels[k] for k in var_of]
        return data

    def to_networkx(self) -> Any:
        """Convert to a ``networkx.MultiDiGraph``; node attributes kind/text/start/end, edge attribute type."""
        import networkx as nx

        graph = nx.MultiDiGraph()
        # graph attributes set afterwards: networkx >= 3.3 reads a ``backend=`` constructor keyword as its own
        graph.graph.update(language=self.language, backend=self.backend)
        for index, node in enumerate(self.nodes):
            graph.add_node(index, kind=node.kind, text=node.text, start=node.start, end=node.end)
        for edge in self.edges:
            graph.add_edge(edge.src, edge.dst, type=edge.type.name, label=edge.label)
        return graph

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict: nodes with kind/text/span, edges with ``src``, ``dst``, ``type`` (type name), and
        ``label`` (CFG edges) or ``var`` (DDG edges) when the edge has one."""
        return {
            "language": self.language,
            "backend": self.backend,
            "truncated": self.truncated,
            "warnings": list(self.warnings),
            "nodes": [
                {"id": i, "kind": n.kind, "text": n.text, "start": list(n.start), "end": list(n.end)}
                for i, n in enumerate(self.nodes)
            ],
            "edges": [_edge_dict(e) for e in self.edges],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodePropertyGraph:
        """Inverse of :meth:`to_dict`."""
        return cls(
            language=data["language"],
            backend=data["backend"],
            nodes=[Node(n["kind"], n["text"], tuple(n["start"]), tuple(n["end"])) for n in data["nodes"]],
            edges=[Edge(e["src"], e["dst"], EdgeType[e["type"]], e.get("label", e.get("var", ""))) for e in data["edges"]],
            warnings=list(data.get("warnings", [])),
            truncated=bool(data.get("truncated", False)),
        )


def _edge_dict(edge: Edge) -> dict[str, Any]:
    values: dict[str, Any] = {"src": edge.src, "dst": edge.dst, "type": edge.type.name}
    if edge.label:
        values["var" if edge.type == EdgeType.DDG else "label"] = edge.label
    return values
