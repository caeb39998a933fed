"""Node references: naming a node of a graph by its normalized source text, as the hand-written gold graphs do.

A reference is the node's source text with whitespace collapsed (``"return s;"``), or a prefix of it ending in
``...`` (``"for (int i = 0; ..."``), optionally followed by ``@L``: the node starts on line ``L`` of the code
(1-based), for statements that occur twice. ``ENTRY`` is the outermost function (or module) node (the first
function where the file node has no flow: Ruby, C, C++), ``EXIT`` its exit; ``EXIT@L`` is the exit of a function
that ends on line ``L`` (a nested lambda's). When a text matches several nested nodes (an expression statement
and its expression), the one with flow edges counts.

Used by the gold suite (``tests/cpg/gold.py``) and the Joern parity benchmark (``benchmarks/cpg_joern_parity.py``).
"""

from __future__ import annotations

from cpg.graph import CodePropertyGraph, EdgeType

#: the edge types whose ends count as "nodes with flow" (a reference prefers them)
FLOW_EDGE_TYPES = (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG)


def normalize_text(text: str) -> str:
    """``text`` with every run of whitespace collapsed to one space, and no leading or trailing whitespace."""
    return " ".join(text.split())


class NodeReferences:
    """Resolves node references of one graph, and names its nodes the same way for messages."""

    def __init__(self, graph: CodePropertyGraph) -> None:
        self.graph = graph
        self.flow = {end for e in graph.edges if e.type in FLOW_EDGE_TYPES for end in (e.src, e.dst)}
        self.texts = [normalize_text(node.text) for node in graph.nodes]
        self.exits = {i for i, node in enumerate(graph.nodes) if node.kind.endswith("exit") and not node.text}
        exit_of = {e.src: e.dst for e in graph.edges if e.type == EdgeType.AST and e.dst in self.exits}
        #: function (or module) node -> its exit node
        self.exit_of = exit_of
        # the outermost unit: node 0 where it has an exit (a function, a Python module), else the first function
        # (node 0 is then the file: Ruby ``program``, C ``translation_unit``)
        self.root = min(exit_of, default=0)
        self.root_exit = exit_of.get(self.root)

    def resolve(self, reference: str) -> int:
        """The index of the node ``reference`` names (AssertionError when it names none, or several with flow)."""
        text, _, line = reference.rpartition("@") if "@" in reference and reference.rsplit("@", 1)[1].isdigit() \
            else (reference, "", "")
        wanted_line = int(line) - 1 if line else None
        if text == "ENTRY" and wanted_line is None:
            return self.root
        if text == "EXIT":
            candidates = [i for i in sorted(self.exits) if wanted_line is None and i == self.root_exit
                          or wanted_line is not None and self.graph.nodes[i].start[0] == wanted_line]
        else:
            prefix = text.endswith("...")
            body = normalize_text(text[:-3]) if prefix else normalize_text(text)
            candidates = [i for i, t in enumerate(self.texts) if (t.startswith(body) if prefix else t == body)
                          and (wanted_line is None or self.graph.nodes[i].start[0] == wanted_line)]
        flowing = [i for i in candidates if i in self.flow]
        if len(flowing) > 1:
            lines = sorted({self.graph.nodes[i].start[0] + 1 for i in flowing})
            raise AssertionError(f"node reference {reference!r} matches {len(flowing)} nodes with flow edges (lines "
                                 f"{lines}); add @LINE or more text")
        if not candidates:
            raise AssertionError(f"node reference {reference!r} matches no node")
        return flowing[0] if flowing else candidates[0]

    def name(self, index: int) -> str:
        """The reference that names node ``index`` (text cut to 60 characters, with its line)."""
        if index == self.root:
            return "ENTRY"
        node = self.graph.nodes[index]
        if index == self.root_exit:
            return "EXIT"
        if index in self.exits:
            return f"EXIT@{node.start[0] + 1}"
        text = self.texts[index]
        return (text if len(text) <= 60 else text[:57] + "...") + f"@{node.start[0] + 1}"
