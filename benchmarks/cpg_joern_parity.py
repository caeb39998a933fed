"""Parity of the two CPG backends: Joern's CFG/DDG/CDG/CALL edges against tree-sitter's, and both against the gold.

    python benchmarks/cpg_joern_parity.py                        # gold programs + the first 1,000 CodeXGLUE methods
    python benchmarks/cpg_joern_parity.py --limit 20 --examples 5
    python benchmarks/cpg_joern_parity.py --save-graphs /tmp/parity.pkl      # keep the graphs and timings...
    python benchmarks/cpg_joern_parity.py --reuse-graphs /tmp/parity.pkl     # ...and compare again without Joern

Samples: (a) the hand-written gold programs of Java, C and Python (``tests/cpg/gold/<language>.json``), (b) the
first ``--limit`` Java methods of the CodeXGLUE train file (``--data``, one method per line). Both backends extract
every sample (``extract_many``, no cache, ``num_workers=1``; Joern: one ``joern-parse`` + ``joern-export`` per
language, i.e. one JVM batch).

The common unit is the *statement*. The two graphs have different granularity (tree-sitter: one CFG node per
statement; Joern: one per expression, CALL/IDENTIFIER/LITERAL...), so both are mapped onto the statements of the
tree-sitter graph of the same code, a unit being the span (start and end line/column) of its statement:

- a unit is a tree-sitter node with a CFG edge (a statement, a loop or ``if`` header, a ``catch``/``finally``
  clause...) or a function (its declaration is the function's ENTRY; a Python ``def`` is both a statement and
  the entry of its body), plus one EXIT unit per function (named by the function's span);
- any other node (a tree-sitter call expression, a Joern node) goes to the *innermost* statement unit whose span
  holds the node's start position. Joern columns are 1-based (made 0-based); a Joern node without a column
  takes the first position found in its AST subtree, else in its parent's subtree, and so on;
- Joern ``METHOD`` and ``METHOD_PARAMETER_IN`` go to the ENTRY, ``METHOD_RETURN`` and ``METHOD_PARAMETER_OUT`` to
  the EXIT of the function a Joern method maps to: the innermost tree-sitter function that holds the method's
  position and starts on its line, or, for a method that holds other methods (Python's ``<module>``, which
  starts where its first statement does), strictly holds the functions those map to;
- *unmapped*: nodes of a method with no tree-sitter function (C's file-level ``<global>``, a Python lambda, an
  anonymous class's constructor), labels (``JUMP_TARGET``: ``case 2:``, ``fail:``) and a case's value, and nodes
  that lie in no statement of their own function (the body block, a labelled block). Joern's CFG passes through
  unmapped nodes (a -> label -> b counts as a -> b); DDG/CDG/CALL edges with an unmapped end are not compared;
- edges: CFG (unit, unit) and CDG (unit, unit) with self-loops dropped on both sides (an expression-level edge
  inside one statement is no statement-level edge); CALL (call's unit, callee's ENTRY); DDG (definition unit,
  use unit, variable). Joern's REACHING_DEF edges are kept as DDG only when they carry a plain identifier that
  occurs in the code (Joern also labels value flows inside an expression with the argument's code, ``"x > 0"``,
  ``"1"``, empty for METHOD -> literal, ``<RET>``; Python's lowering adds ``tmp`` variables), end at an
  IDENTIFIER of that name (not at the enclosing CALL, a sibling argument, RETURN, METHOD_RETURN or
  PARAMETER_OUT), and, inside one statement, only go backwards in a statement on a CFG cycle (a flow around a
  loop: the self-loop tree-sitter has for ``for (...; i++)``);
- CFG labels are ignored (Joern's CFG edges have none).

Agreement per edge kind: Jaccard, precision and recall of Joern's edge set against tree-sitter's (tree-sitter as
the reference), summed over samples (micro). "common" restricts both sets to edges between units that have CFG
edges in both graphs; for CFG, "projected" contracts each graph's CFG onto those common units (u -> v when v is
reachable from u through other units only), which takes out statements one backend has a node for and the other
has not (``int s;``, ``try``, ``catch (E e)``, ``finally``). On the gold programs both backends are also scored
against the gold edges (references resolved on the tree-sitter graph, :mod:`cpg.node_references`). Every
disagreement is put in a category (``categorize``: Joern's use -> use chains, ``this``, statements one side lacks,
try/switch insides...); ``--examples N`` prints N of each.

Throughput: cold extraction of the ``--limit`` methods (no cache, one batch, ``num_workers=1``), wall clock and
CPU time (Joern's JVM runs as child processes: their CPU time is counted, and the JVM uses several threads).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.cpg_throughput import cpu_model  # noqa: E402
from cpg import CodePropertyGraph, EdgeType, extract_many  # noqa: E402
from cpg.cache import EXTRACTOR_VERSION  # noqa: E402
from cpg.node_references import NodeReferences  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "codexglue-java-cs" / "train.java-cs.txt.java"
GOLD_DIR = REPO_ROOT / "tests" / "cpg" / "gold"
GOLD_LANGUAGES = ("java", "c", "python")
KINDS = ("CFG", "DDG", "CDG", "CALL")
GOLD_KINDS = ("CFG", "DDG", "CDG")
#: node texts are kept whole for the gold programs (their references are whole statement texts)
GOLD_MAX_TEXT_CHARS = 1 << 20
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")

Position = tuple[int, int]
#: ("stmt" | "exit", start line, start column, end line, end column): a statement (or function entry) by its span,
#: or the exit of the function with that span
Unit = tuple[str, int, int, int, int]


# --- the common unit --------------------------------------------------------------------------------------------


class StatementUnits:
    """The statement units of one tree-sitter graph, and the mapping of nodes and positions onto them."""

    def __init__(self, graph: CodePropertyGraph) -> None:
        self.graph = graph
        references = NodeReferences(graph)
        nodes = graph.nodes
        cfg_nodes = {end for edge in graph.edges if edge.type == EdgeType.CFG for end in (edge.src, edge.dst)}
        self.functions = sorted(references.exit_of)
        self.of_index: dict[int, Unit] = {}
        self.names: dict[Unit, str] = {}
        self.kinds: dict[Unit, str] = {}  #: the tree-sitter node kind of a statement unit
        statements = (cfg_nodes | set(self.functions)) - references.exits
        for index in sorted(statements):
            node = nodes[index]
            unit = ("stmt", *node.start, *node.end)
            self.of_index[index] = unit
            self.names.setdefault(unit, _short(node.text) + f"@{node.start[0] + 1}")
            self.kinds.setdefault(unit, node.kind)
        self.exit_unit: dict[Unit, Unit] = {}
        for function, exit_index in references.exit_of.items():
            node = nodes[function]
            unit = ("exit", *node.start, *node.end)
            self.of_index[exit_index] = unit
            self.exit_unit[self.of_index[function]] = unit
            self.names[unit] = "EXIT" if function == references.root else f"EXIT@{node.end[0] + 1}"
        for index in references.exits - set(self.of_index):  # an exit without a function: named by its own span
            node = nodes[index]
            self.of_index[index] = unit = ("exit", *node.start, *node.end)
            self.names[unit] = f"EXIT@{node.start[0] + 1}"
        root = self.of_index.get(references.root)
        if root is not None and references.root in references.exit_of:
            self.names[root] = "ENTRY"
        #: statement units by start, for the innermost-span lookup
        self._spans = sorted({unit for unit in self.of_index.values() if unit[0] == "stmt"}, key=lambda u: u[1:])
        self._function_units = [self.of_index[f] for f in self.functions]
        self._cache: dict[Position, Unit | None] = {}

    def of_node(self, index: int) -> Unit | None:
        """The unit of tree-sitter node ``index``: itself when it is one, else the statement holding its start."""
        unit = self.of_index.get(index)
        return unit if unit is not None else self.at(self.graph.nodes[index].start)

    def at(self, position: Position) -> Unit | None:
        """The innermost statement unit whose span holds ``position`` (None outside every statement)."""
        if position not in self._cache:
            best = None
            for unit in self._spans:
                if _holds(unit, position) and (best is None or _inside(unit, best)):
                    best = unit
            self._cache[position] = best
        return self._cache[position]

    def function_at(self, position: Position, inner: Iterable[Unit] = ()) -> Unit | None:
        """The innermost function (ENTRY unit) holding ``position`` and strictly holding every unit of ``inner``."""
        inner = list(inner)
        best = None
        for unit in self._function_units:
            if not _holds(unit, position) or any(unit == other or not _inside(other, unit) for other in inner):
                continue
            if best is None or _inside(unit, best):
                best = unit
        return best

    def enclosing_kinds(self, unit: Unit) -> set[str]:
        """The tree-sitter kinds of ``unit`` and of the statement units that hold it."""
        kinds = {self.kinds.get(unit, unit[0])}
        for other in self._spans:
            if other != unit and unit[0] == "stmt" and _inside(unit, other):
                kinds.add(self.kinds[other])
        return kinds

    def inner_kinds(self, unit: Unit) -> set[str]:
        """The tree-sitter kinds of the statement units inside ``unit`` (itself left out)."""
        return {self.kinds[other] for other in self._spans if other != unit and _inside(other, unit)}

    def name(self, unit: Unit | None) -> str:
        return "?" if unit is None else self.names.get(unit, f"{unit[0]}@{unit[1] + 1}")


def _holds(unit: Unit, position: Position) -> bool:
    start, end = (unit[1], unit[2]), (unit[3], unit[4])
    return start <= position < end or start == end == position


def _inside(inner: Unit, outer: Unit) -> bool:
    """Whether the span of ``inner`` lies within that of ``outer`` (equal spans included)."""
    return (outer[1], outer[2]) <= (inner[1], inner[2]) and (inner[3], inner[4]) <= (outer[3], outer[4])


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- edge sets on the common unit -------------------------------------------------------------------------------

Edges = dict[str, set[tuple]]


def treesitter_edges(graph: CodePropertyGraph, units: StatementUnits) -> Edges:
    """The tree-sitter graph's CFG/DDG/CDG/CALL edges on statement units (self-loops dropped but for DDG)."""
    edges: Edges = {kind: set() for kind in KINDS}
    for edge in graph.edges:
        kind = edge.type.name
        if kind not in edges:
            continue
        src, dst = units.of_node(edge.src), units.of_node(edge.dst)
        if src is None or dst is None or (src == dst and kind in ("CFG", "CDG")):
            continue
        edges[kind].add((src, dst, edge.label) if kind == "DDG" else (src, dst))
    return edges


@dataclass
class JoernMapping:
    """Joern nodes -> units, and what happened to Joern's edges on the way (counts and, per unit edge, the Joern
    edges that made it)."""

    units: list[Unit | None]
    edges: Edges
    parent: dict[int, int] = field(default_factory=dict)  #: Joern AST parent of a node
    dropped: Counter = field(default_factory=Counter)
    sources: dict[tuple, list[tuple[int, int, str]]] = field(default_factory=lambda: defaultdict(list))


def joern_positions(graph: CodePropertyGraph, parent: dict[int, int]) -> list[Position]:
    """0-based (line, column) of every Joern node. Joern's columns are 1-based; a node without one (column 0: the
    lowered ``new T()`` of javasrc, a ``switch``, some synthetic nodes) takes the first position found in its AST
    subtree, else in the subtree of its parent, grandparent... (breadth-first; METHOD nodes are not entered)."""
    nodes = graph.nodes
    children: dict[int, list[int]] = defaultdict(list)
    for child, node in parent.items():
        children[node].append(child)
    positions: list[Position] = []
    for index, node in enumerate(nodes):
        found = index if node.start[1] >= 1 else None
        root, steps = index, 0
        while found is None and steps < 64:
            queue = [root]
            for candidate in queue:  # the list grows while iterating
                if nodes[candidate].start[1] >= 1:
                    found = candidate
                    break
                queue.extend(c for c in children.get(candidate, ()) if nodes[c].kind != "METHOD")
            if root not in parent:
                break
            root, steps = parent[root], steps + 1
        line, column = nodes[found if found is not None else index].start
        positions.append((line, max(column - 1, 0)))
    return positions


def map_joern(graph: CodePropertyGraph, units: StatementUnits, code: str) -> JoernMapping:
    """Map a Joern graph of ``code`` onto the statement units of the tree-sitter graph of the same code."""
    nodes = graph.nodes
    parent: dict[int, int] = {}
    for edge in graph.edges:
        if edge.type == EdgeType.AST:
            parent.setdefault(edge.dst, edge.src)
    positions = joern_positions(graph, parent)

    def method_of(index: int) -> int | None:
        seen = 0
        index = parent.get(index, -1)
        while index >= 0 and seen < len(nodes):
            if nodes[index].kind == "METHOD":
                return index
            index, seen = parent.get(index, -1), seen + 1
        return None

    methods = [i for i, node in enumerate(nodes) if node.kind == "METHOD"]
    children: dict[int | None, list[int]] = defaultdict(list)
    for method in methods:
        children[method_of(method)].append(method)
    function: dict[int, Unit | None] = {}

    def map_method(method: int) -> None:  # nested Joern methods first: the outer one must hold them
        for child in children.get(method, ()):
            map_method(child)
        if nodes[method].text == "<global>":  # C/C++ file-level method: no tree-sitter counterpart
            function[method] = None
            return
        inner = [function[c] for c in _descendants(method, children) if function.get(c) is not None]
        found = units.function_at(positions[method], inner)
        # a method starts on its function's first line, but for one that holds others (Python's <module>); a method
        # with no such function (a Python lambda, an anonymous class's constructor) is unmapped
        function[method] = found if found is not None and (inner or found[1] == positions[method][0]) else None

    for method in children.get(None, ()):
        map_method(method)
    for method in methods:
        if method not in function:
            map_method(method)

    mapped: list[Unit | None] = []
    for index, node in enumerate(nodes):
        method = index if node.kind == "METHOD" else method_of(index)
        entry = function.get(method) if method is not None else None
        if entry is None and method is not None:  # a node of an unmapped method (C's <global>, a Python lambda)
            mapped.append(None)
        elif node.kind in ("METHOD", "METHOD_PARAMETER_IN"):
            mapped.append(entry)
        elif node.kind in ("METHOD_RETURN", "METHOD_PARAMETER_OUT"):
            mapped.append(units.exit_unit.get(entry) if entry is not None else None)
        elif node.kind == "JUMP_TARGET":  # a label (``case 2:``, ``fail:``): no statement; the CFG passes through
            mapped.append(None)
        else:  # in no statement of its own function (a labelled block, a lowered helper): the CFG passes through
            unit = units.at(positions[index])
            mapped.append(None if unit == entry else unit)

    for edge in graph.edges:  # a case's value (``case 2:`` -> LITERAL 2, right after its label): passed through too
        if edge.type == EdgeType.CFG and nodes[edge.src].kind == "JUMP_TARGET" and nodes[edge.dst].kind == "LITERAL" \
                and nodes[parent.get(edge.dst, edge.dst)].kind == "BLOCK":
            mapped[edge.dst] = None

    words = set(_IDENTIFIER.findall(code))
    result = JoernMapping(mapped, {kind: set() for kind in KINDS}, parent)
    cfg_successors: dict[int, list[int]] = defaultdict(list)
    for edge in graph.edges:
        if edge.type == EdgeType.CFG:
            cfg_successors[edge.src].append(edge.dst)
    # CFG first: a flow inside one statement is kept as a DDG self-loop only when the statement is on a CFG cycle
    ordered = sorted(graph.edges, key=lambda edge: edge.type != EdgeType.CFG)
    on_cycle: set[Unit] | None = None
    for edge in ordered:
        kind = edge.type.name
        if kind not in result.edges:
            continue
        src = mapped[edge.src]
        if kind == "CFG":  # through labels and unmapped nodes to the next mapped ones
            if src is None:
                result.dropped["CFG: from a label or unmapped node (passed through)"] += 1
                continue
            targets = _mapped_successors(edge.dst, cfg_successors, mapped)
            if mapped[edge.dst] is None:
                result.dropped["CFG: to a label or unmapped node (passed through)"] += 1
        else:
            targets = [edge.dst]
            if on_cycle is None:
                on_cycle = units_on_cycles(result.edges["CFG"])
        for target in targets:
            dst = mapped[target]
            if kind == "DDG":
                reason = _ddg_drop_reason(graph, edge.src, target, edge.label, words, positions, src, dst, on_cycle)
                if reason:
                    result.dropped[f"DDG: {reason}"] += 1
                    continue
            if src is None or dst is None:
                result.dropped[f"{kind}: unmapped end"] += 1
                continue
            if src == dst and kind in ("CFG", "CDG"):
                result.dropped[f"{kind}: inside one statement"] += 1
                continue
            unit_edge = (src, dst, edge.label) if kind == "DDG" else (src, dst)
            result.edges[kind].add(unit_edge)
            result.sources[(kind, unit_edge)].append((edge.src, target, edge.label))
    return result


def units_on_cycles(cfg: Iterable[tuple]) -> set[Unit]:
    """The units of a CFG that can reach themselves (in a loop)."""
    successors: dict[Unit, set[Unit]] = defaultdict(set)
    for src, dst in cfg:
        successors[src].add(dst)
    cyclic = set()
    for start, following in successors.items():
        stack, seen = list(following), set()
        while stack:
            unit = stack.pop()
            if unit == start:
                cyclic.add(start)
                break
            if unit not in seen:
                seen.add(unit)
                stack.extend(successors.get(unit, ()))
    return cyclic


def _mapped_successors(start: int, successors: dict[int, list[int]], mapped: list[Unit | None]) -> list[int]:
    """``start`` when it is mapped, else the first mapped nodes after it along the CFG."""
    if mapped[start] is not None:
        return [start]
    found, stack, seen = [], [start], {start}
    while stack:
        for node in successors.get(stack.pop(), ()):
            if node in seen:
                continue
            seen.add(node)
            (found if mapped[node] is not None else stack).append(node)
    return found


def _descendants(method: int, children: dict[int | None, list[int]]) -> list[int]:
    out, stack = [], list(children.get(method, ()))
    while stack:
        child = stack.pop()
        out.append(child)
        stack.extend(children.get(child, ()))
    return out


def _ddg_drop_reason(
    graph: CodePropertyGraph,
    src: int,
    dst: int,
    variable: str,
    words: set[str],
    positions: list[Position],
    src_unit: Unit | None,
    dst_unit: Unit | None,
    on_cycle: set[Unit] | None,
) -> str:
    """Why a Joern REACHING_DEF edge is no variable flow between statements ("" when it is one)."""
    if not variable:
        return "no variable (METHOD -> node)"
    if variable == "<RET>":
        return "<RET> (return value -> METHOD_RETURN)"
    if not _IDENTIFIER.fullmatch(variable):
        return "value of an expression (label is its code)"
    target = graph.nodes[dst]
    if target.kind in ("METHOD_RETURN", "METHOD_PARAMETER_OUT"):
        return "to METHOD_RETURN / PARAMETER_OUT (value at exit)"
    if target.kind != "IDENTIFIER" or target.text != variable:
        return "into the enclosing expression or a sibling argument"
    if variable not in words:
        return "synthetic variable (not in the code)"
    if src_unit is not None and src_unit == dst_unit:
        if positions[src] < positions[dst]:
            return "forward flow inside one statement"
        if on_cycle is not None and src_unit not in on_cycle:
            return "backward flow inside one statement that is on no CFG cycle"
    return ""


def gold_edges(program: dict, units: StatementUnits, unresolved: Counter | None = None) -> Edges:
    """A gold program's CFG/DDG/CDG edges on the statement units of its tree-sitter graph (an edge whose reference
    names no node of that graph is left out and counted in ``unresolved``)."""
    references = NodeReferences(units.graph)
    edges: Edges = {kind: set() for kind in GOLD_KINDS}
    for kind in GOLD_KINDS:
        for edge in program.get(kind.lower(), []):
            try:
                src = units.of_node(references.resolve(edge[0]))
                dst = units.of_node(references.resolve(edge[1]))
            except AssertionError:
                if unresolved is not None:
                    unresolved[kind] += 1
                continue
            if src is None or dst is None or (src == dst and kind != "DDG"):
                continue
            edges[kind].add((src, dst, edge[2]) if kind == "DDG" else (src, dst))
    return edges


def cfg_units(edges: Edges) -> set[Unit]:
    return {unit for edge in edges.get("CFG", ()) for unit in edge[:2]}


def project(edges: Iterable[tuple], keep: set[Unit]) -> set[tuple]:
    """The CFG contracted onto the units in ``keep``: u -> v when v is reachable from u through units outside
    ``keep`` only (self-loops dropped)."""
    successors: dict[Unit, set[Unit]] = defaultdict(set)
    for src, dst in edges:
        successors[src].add(dst)
    projected = set()
    for start in keep & set(successors):
        stack, seen = list(successors[start]), set()
        while stack:
            unit = stack.pop()
            if unit in seen:
                continue
            seen.add(unit)
            if unit in keep:
                if unit != start:
                    projected.add((start, unit))
            else:
                stack.extend(successors.get(unit, ()))
    return projected


def restrict(edges: Iterable[tuple], keep: set[Unit]) -> set[tuple]:
    """The edges whose both ends are in ``keep``."""
    return {edge for edge in edges if edge[0] in keep and edge[1] in keep}


# --- agreement --------------------------------------------------------------------------------------------------


@dataclass
class Agreement:
    """Counts of one candidate edge set against a reference edge set (summed over samples with ``add``)."""

    both: int = 0
    reference_only: int = 0
    candidate_only: int = 0

    def add(self, reference: set, candidate: set) -> None:
        both = len(reference & candidate)
        self.both += both
        self.reference_only += len(reference) - both
        self.candidate_only += len(candidate) - both

    @property
    def reference(self) -> int:
        return self.both + self.reference_only

    @property
    def candidate(self) -> int:
        return self.both + self.candidate_only

    @property
    def jaccard(self) -> float | None:
        union = self.both + self.reference_only + self.candidate_only
        return self.both / union if union else None

    @property
    def precision(self) -> float | None:
        return self.both / self.candidate if self.candidate else None

    @property
    def recall(self) -> float | None:
        return self.both / self.reference if self.reference else None

    def to_dict(self) -> dict[str, object]:
        return {"reference_edges": self.reference, "candidate_edges": self.candidate, "both": self.both,
                "jaccard": self.jaccard, "precision": self.precision, "recall": self.recall}


def agreement(reference: set, candidate: set) -> Agreement:
    """The agreement of ``candidate`` with ``reference`` (one sample)."""
    result = Agreement()
    result.add(reference, candidate)
    return result


def variants(reference: Edges, candidate: Edges, kinds: Iterable[str]) -> dict[tuple[str, str], tuple[set, set]]:
    """(kind, variant) -> (reference set, candidate set): "all" edges, "common" (both ends are units with CFG edges
    in both graphs) and, for CFG, "projected" (both CFGs contracted onto those common units)."""
    common = cfg_units(reference) & cfg_units(candidate)
    out = {}
    for kind in kinds:
        out[(kind, "all")] = (reference[kind], candidate[kind])
        out[(kind, "common")] = (restrict(reference[kind], common), restrict(candidate[kind], common))
        if kind == "CFG":
            out[(kind, "projected")] = (project(reference[kind], common), project(candidate[kind], common))
    return out


# --- running ----------------------------------------------------------------------------------------------------


def load_gold(language: str) -> list[dict]:
    data = json.loads((GOLD_DIR / f"{language}.json").read_text(encoding="utf-8"))
    return [{**program, "code": "\n".join(program["code"])} for program in data["programs"]]


def timed_extract(codes: list[str], language: str, backend: str, **options) -> tuple[dict[str, float], list]:
    """Cold extraction (no cache, one worker): wall seconds, CPU seconds of this process and of its children."""
    before_self, before_children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = extract_many(codes, language, backend, num_workers=1, progress=False, **options)
    wall = time.perf_counter() - started
    after_self, after_children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)

    def cpu(after, before) -> float:
        return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    timing = {"wall_s": wall, "cpu_self_s": cpu(after_self, before_self),
              "cpu_children_s": cpu(after_children, before_children), "failed": result.num_failed,
              "with_warnings": result.num_with_warnings}
    return timing, result.graphs


def extract_all(methods: list[str], repeat: int) -> dict:
    """Every graph the benchmark compares, and the throughput timings."""
    out: dict = {"gold": {}, "gold_programs": {}, "methods": {}, "timing": {}}
    for language in GOLD_LANGUAGES:
        out["gold_programs"][language] = programs = load_gold(language)
        codes = [program["code"] for program in programs]
        for backend in ("treesitter", "joern"):
            timing, graphs = timed_extract(codes, language, backend, max_text_chars=GOLD_MAX_TEXT_CHARS)
            out["gold"][(language, backend)] = graphs
            print(f"[gold {language}] {backend}: {len(codes)} programs in {timing['wall_s']:.1f} s", flush=True)
    runs = []
    for _ in range(repeat):
        timing, graphs = timed_extract(methods, "java", "treesitter")
        runs.append(timing)
    out["methods"]["treesitter"] = graphs
    out["timing"]["treesitter"] = {**min(runs, key=lambda t: t["wall_s"]), "wall_s_runs": [t["wall_s"] for t in runs]}
    print(f"[methods] treesitter: {len(methods)} methods, fastest of {repeat}: {out['timing']['treesitter']['wall_s']:.2f} s",
          flush=True)
    timing, graphs = timed_extract(methods, "java", "joern")
    out["methods"]["joern"] = graphs
    out["timing"]["joern"] = {**timing, "wall_s_runs": [timing["wall_s"]]}
    print(f"[methods] joern: {len(methods)} methods in {timing['wall_s']:.1f} s (one JVM batch)", flush=True)
    return out


@dataclass
class Sample:
    name: str
    code: str
    treesitter: CodePropertyGraph
    joern: CodePropertyGraph
    gold: dict | None = None


def is_definition(graph: CodePropertyGraph, parent: dict[int, int], node: int, variable: str) -> bool:
    """Whether Joern node ``node`` defines ``variable``: a parameter, or the target of an assignment, ``++``/``--``
    or declaration (read off the enclosing call's code). Joern's REACHING_DEF also starts at plain uses."""
    if graph.nodes[node].kind == "METHOD_PARAMETER_IN":
        return True
    if node not in parent:
        return False
    name = re.escape(variable)
    text = graph.nodes[parent[node]].text.strip()
    return bool(re.match(rf"(?:[\w$<>\[\]?,.]+\s+)*{name}\s*(?:[-+*/%&|^]|<<|>>>?|\*\*|//|\?\?)?=(?!=)", text)
                or re.fullmatch(rf"(?:\+\+|--)\s*{name}|{name}\s*(?:\+\+|--)", text))


@dataclass
class Context:
    """What the categories of one sample's disagreements are read from."""

    sample: Sample
    units: StatementUnits
    mapping: JoernMapping
    tree: Edges

    @cached_property
    def tree_cfg_units(self) -> set[Unit]:
        return cfg_units(self.tree)

    @cached_property
    def joern_cfg_units(self) -> set[Unit]:
        return cfg_units(self.mapping.edges)

    @cached_property
    def tree_bypassing(self) -> set[tuple]:
        """Tree-sitter's CFG contracted onto the units Joern has CFG nodes for."""
        return project(self.tree["CFG"], self.joern_cfg_units)

    @cached_property
    def tree_variables(self) -> set[str]:
        return {edge[2] for edge in self.tree["DDG"]}

    @cached_property
    def joern_into(self) -> dict[tuple[Unit, str], list[tuple[int, int, str]]]:
        """(use unit, variable) -> the Joern edges into it."""
        into = defaultdict(list)
        for edge in self.mapping.edges["DDG"]:
            into[(edge[1], edge[2])] += [(edge[0], *raw) for raw in self.mapping.sources[("DDG", edge)]]
        return into

    def in_index(self, unit: Unit, variable: str) -> bool:
        """Whether every Joern occurrence of ``variable`` in ``unit`` is an array index (``a[i]``)."""
        graph, parent, units = self.sample.joern, self.mapping.parent, self.mapping.units
        parents = [graph.nodes[parent[i]].text.strip() for i, node in enumerate(graph.nodes)
                   if units[i] == unit and node.kind == "IDENTIFIER" and node.text == variable and i in parent]
        return bool(parents) and all(text.endswith("]") and "[" in text for text in parents)

    def uses_only(self, raw_edges: Iterable[tuple[int, int, str]]) -> bool:
        graph, parent = self.sample.joern, self.mapping.parent
        return all(not is_definition(graph, parent, src, variable) for src, _, variable in raw_edges)


#: tree-sitter kinds (substrings) of the statements whose insides disagree most: exception flow and multi-way branches
TRY_KINDS = ("try", "catch", "except", "finally", "with")
SWITCH_KINDS = ("switch", "match", "case")
THROW_KINDS = ("throw", "raise")


def categorize(context: Context, kind: str, side: str, edge: tuple) -> str:
    """A short name for why ``edge`` (of ``kind``, found by one ``side`` only) differs between the backends."""
    other_units = context.joern_cfg_units if side == "tree-sitter only" else context.tree_cfg_units
    if kind == "DDG":
        variable = edge[2]
        if side == "joern only":
            if variable == "this":
                return "`this`: Joern's implicit receiver parameter (tree-sitter tracks no `this`)"
            if variable not in context.tree_variables:
                return "a name tree-sitter does not track (field, global, builtin, class or function name)"
            if context.uses_only(context.mapping.sources[("DDG", edge)]):
                return "from a use: Joern counts every call argument as a possible definition (use -> use)"
        else:
            joern = [raw for raw in context.joern_into.get((edge[1], variable), ()) if raw[0] != edge[0]]
            if edge[0] == edge[1] and edge[0] in context.joern_cfg_units:
                return "loop-carried self-dependency (x += ... in a loop): Joern has no edge from a node to itself"
            if joern and context.uses_only(raw[1:] for raw in joern):
                return "Joern reaches this use from a use in between (its use -> use chain replaces def -> use)"
            if joern:
                return "Joern reaches this use from another definition only"
    if kind != "CALL":
        missing = [unit for unit in edge[:2] if unit not in other_units]
        if missing:
            return f"a statement the other backend has no CFG node for ({context.units.kinds.get(missing[0], 'exit')})"
        if kind == "DDG":
            if side == "joern only":
                return "other"
            if context.in_index(edge[1], edge[2]):
                return "use inside an array index (a[i]): Joern has no REACHING_DEF edge into it"
            return "no Joern edge into this use of the variable"
        if kind == "CFG" and side == "joern only" and edge in context.tree_bypassing:
            return "skips a statement Joern has no CFG node for (tree-sitter's path through it)"
        src_kind = context.units.kinds.get(edge[0], "")
        if kind == "CFG" and any(part in src_kind for part in THROW_KINDS):
            return ("`throw` falls through to the next statement in Joern" if side == "joern only" else
                    "`throw` -> EXIT (or its handler): Joern's throw goes to the next statement instead")
        if kind == "CDG" and side == "tree-sitter only" and any(
                part in k for k in context.units.inner_kinds(edge[0]) for part in THROW_KINDS):
            return ("after a branch that throws: with Joern's fall-through `throw` the statements after it do not "
                    "depend on the branch")
        kinds = set().union(*(context.units.enclosing_kinds(unit) for unit in edge[:2]))
        if any(part in k for k in kinds for part in TRY_KINDS):
            return "inside try/catch/finally or with (exception flow)"
        if any(part in k for k in kinds for part in SWITCH_KINDS):
            return "inside switch / match"
        if any(unit[0] == "exit" for unit in edge[:2]):
            return "to the exit"
        return "other"
    return ("call linked by name only (tree-sitter): Joern resolves by signature and receiver type"
            if side == "tree-sitter only" else "call only Joern links")


def compare(samples: list[Sample]) -> dict:
    """Agreement counts, gold scores, dropped-edge counts and the categorized disagreements of every sample."""
    parity: dict[tuple[str, str], Agreement] = defaultdict(Agreement)
    gold: dict[tuple[str, str, str], Agreement] = defaultdict(Agreement)  # (backend, kind, variant)
    dropped: Counter = Counter()
    unmapped_nodes: Counter = Counter()
    categories: Counter = Counter()  # (kind, side, category)
    unresolved: Counter = Counter()  # gold edges whose references name no node of the tree-sitter graph
    disagreements: list[tuple[Context, str, str, str, tuple]] = []
    for sample in samples:
        units = StatementUnits(sample.treesitter)
        tree = treesitter_edges(sample.treesitter, units)
        mapping = map_joern(sample.joern, units, sample.code)
        context = Context(sample, units, mapping, tree)
        dropped.update(mapping.dropped)
        unmapped_nodes["nodes"] += len(mapping.units)
        unmapped_nodes["unmapped"] += sum(unit is None for unit in mapping.units)
        for key, (reference, candidate) in variants(tree, mapping.edges, KINDS).items():
            parity[key].add(reference, candidate)
            if key[1] != "all":
                continue
            for side, edges in (("joern only", candidate - reference), ("tree-sitter only", reference - candidate)):
                for edge in sorted(edges):
                    category = categorize(context, key[0], side, edge)
                    categories[(key[0], side, category)] += 1
                    disagreements.append((context, key[0], side, category, edge))
        if sample.gold is not None:
            expected = gold_edges(sample.gold, units, unresolved)
            for backend, edges in (("treesitter", tree), ("joern", mapping.edges)):
                for (kind, variant), (reference, candidate) in variants(expected, edges, GOLD_KINDS).items():
                    gold[(backend, kind, variant)].add(reference, candidate)
    return {"parity": parity, "gold": gold, "dropped": dropped, "unmapped": unmapped_nodes,
            "categories": categories, "disagreements": disagreements, "unresolved_gold": unresolved}


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def parity_table(parity: dict[tuple[str, str], Agreement]) -> list[str]:
    lines = ["| edge kind | edges compared | tree-sitter | Joern | both | Jaccard | precision | recall |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for (kind, variant), counts in parity.items():
        lines.append(f"| {kind} | {variant} | {counts.reference:,} | {counts.candidate:,} | {counts.both:,} | "
                     f"{_fmt(counts.jaccard)} | {_fmt(counts.precision)} | {_fmt(counts.recall)} |")
    return lines


def gold_table(scores: dict[str, dict[tuple[str, str, str], Agreement]]) -> list[str]:
    header = ("| language | edge kind | edges compared | gold edges | tree-sitter P | tree-sitter R | gold edges (Joern's "
              "units) | Joern P | Joern R |")
    lines = [header, "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for language, gold in scores.items():
        for kind in GOLD_KINDS:
            for variant in ("all", "common", "projected"):
                tree, joern = gold.get(("treesitter", kind, variant)), gold.get(("joern", kind, variant))
                if tree is None:
                    continue
                lines.append(f"| {language} | {kind} | {variant} | {tree.reference:,} | {_fmt(tree.precision)} | "
                             f"{_fmt(tree.recall)} | {joern.reference:,} | {_fmt(joern.precision)} | "
                             f"{_fmt(joern.recall)} |")
    return lines


def category_table(categories: Counter, totals: dict[tuple[str, str], Agreement]) -> list[str]:
    lines = ["| edge kind | found by | why (category) | edges | share of that side |", "|---|---|---|---:|---:|"]
    for (kind, side, category), count in sorted(categories.items(), key=lambda item: (KINDS.index(item[0][0]),
                                                                                      item[0][1], -item[1])):
        counts = totals[(kind, "all")]
        side_total = counts.candidate_only if side == "joern only" else counts.reference_only
        lines.append(f"| {kind} | {side} | {category} | {count:,} | {count / side_total:.0%} |")
    return lines


def show_examples(disagreements: list, count: int) -> list[str]:
    """Up to ``count`` disagreements per (edge kind, side, category), spread over the samples, with the Joern
    edges behind a Joern-only one."""
    lines = []
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for item in disagreements:
        groups[item[1:4]].append(item)
    for (kind, side, category), items in sorted(groups.items(), key=lambda g: (KINDS.index(g[0][0]), g[0][1], -len(g[1]))):
        lines.append(f"\n#### {kind}, {side}: {category} ({len(items):,} edges)\n")
        step = max(1, len(items) // count)
        for context, _, _, _, edge in items[::step][:count]:
            units, sample = context.units, context.sample
            label = f" [{edge[2]}]" if kind == "DDG" else ""
            lines.append(f"- {sample.name}: `{units.name(edge[0])}` -> `{units.name(edge[1])}`{label}")
            if side == "joern only":
                for src, dst, variable in context.mapping.sources[(kind, edge)][:2]:
                    s, d = sample.joern.nodes[src], sample.joern.nodes[dst]
                    lines.append(f"  - Joern {s.kind} `{_short(s.text, 40)}`@{s.start[0] + 1}:{s.start[1]} -> "
                                 f"{d.kind} `{_short(d.text, 40)}`@{d.start[0] + 1}:{d.start[1]}"
                                 + (f" [{variable}]" if variable else ""))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CodeXGLUE Java, one method per line")
    parser.add_argument("--limit", type=int, default=1000, help="use the first N methods")
    parser.add_argument("--repeat", type=int, default=3, help="tree-sitter cold passes; the fastest counts (Joern: one)")
    parser.add_argument("--examples", type=int, default=0, help="print N disagreements per edge kind and side")
    parser.add_argument("--save-graphs", type=Path, default=None, help="pickle the graphs and timings here")
    parser.add_argument("--reuse-graphs", type=Path, default=None,
                        help="compare the graphs and timings of a --save-graphs file instead of extracting")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "benchmarks" / "results" / "cpg_joern_parity.json")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        raise SystemExit(f"no data file at {args.data}; pass --data PATH (one method per line)")
    methods = args.data.read_text(encoding="utf-8").split("\n")[: args.limit]
    machine = (f"{platform.platform()}, Python {platform.python_version()}, {cpu_model()}, {os.cpu_count()} cores "
               f"visible, load average {os.getloadavg()[0]:.1f} at start; tree-sitter {version('tree-sitter')}, "
               f"extractor version {EXTRACTOR_VERSION}")
    if args.reuse_graphs is not None:
        graphs = pickle.loads(args.reuse_graphs.read_bytes())
        machine = graphs.get("machine", machine)
        if len(graphs["methods"]["joern"]) != len(methods):
            raise SystemExit(f"{args.reuse_graphs} holds {len(graphs['methods']['joern'])} methods, not --limit "
                             f"{len(methods)}")
    else:
        graphs = extract_all(methods, args.repeat)
        graphs["machine"] = machine
        graphs["extracted_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        if args.save_graphs is not None:
            args.save_graphs.write_bytes(pickle.dumps(graphs))

    gold_samples = {language: [Sample(f"{language}/{p['name']}", p["code"], tree, joern, p) for p, tree, joern in zip(
        graphs["gold_programs"][language], graphs["gold"][(language, "treesitter")],
        graphs["gold"][(language, "joern")])] for language in GOLD_LANGUAGES}
    method_samples = [Sample(f"codexglue#{i}", code, tree, joern) for i, (code, tree, joern) in enumerate(
        zip(methods, graphs["methods"]["treesitter"], graphs["methods"]["joern"]))]
    results = {"methods": compare(method_samples)}
    for language, samples in gold_samples.items():
        results[language] = compare(samples)
    results["gold, all"] = compare([s for samples in gold_samples.values() for s in samples])

    count = len(methods)
    print(f"## CPG backends: Joern {_joern_version()} vs tree-sitter (statement units)\n\nmachine: {machine}\n")
    print(f"### Agreement of Joern with tree-sitter on the first {count:,} CodeXGLUE Java methods\n")
    print("\n".join(parity_table(results["methods"]["parity"])))
    print("\n### Agreement of Joern with tree-sitter on the gold programs (Java, C, Python together)\n")
    print("\n".join(parity_table(results["gold, all"]["parity"])))
    unresolved = sum(results["gold, all"]["unresolved_gold"].values())
    print("\n### Both backends against the gold edges (P: precision, R: recall"
          + (f"; {unresolved} gold edges name no node of the tree-sitter graph and are left out" if unresolved else "")
          + ")\n")
    print("\n".join(gold_table({language: results[language]["gold"] for language in (*GOLD_LANGUAGES, "gold, all")})))
    print(f"\n### Joern edges not compared ({count:,} methods; Joern nodes unmapped, mostly method headers and body "
          "blocks: "
          f"{results['methods']['unmapped']['unmapped']:,} of {results['methods']['unmapped']['nodes']:,})\n")
    print("| reason | edges |\n|---|---:|")
    for reason, edges in sorted(results["methods"]["dropped"].items()):
        print(f"| {reason} | {edges:,} |")
    for name, title in (("methods", f"{count:,} methods"), ("gold, all", "gold programs")):
        print(f"\n### Why edges differ ({title}): categories of the disagreements\n")
        print("\n".join(category_table(results[name]["categories"], results[name]["parity"])))
    timing = graphs["timing"]
    print(f"\n### Throughput: {count:,} methods, cold (no cache), one batch, num_workers=1\n")
    print("| backend | wall s | methods/s (wall) | CPU s (this process) | CPU s (child processes) | failed | flagged |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for backend in ("treesitter", "joern"):
        t = timing[backend]
        print(f"| {backend} | {t['wall_s']:.2f} | {count / t['wall_s']:,.1f} | {t['cpu_self_s']:.2f} | "
              f"{t['cpu_children_s']:.1f} | {t['failed']} | {t['with_warnings']} |")
    if args.examples:
        for name, title in (("methods", f"{count:,} methods"), ("gold, all", "gold programs")):
            print(f"\n## Disagreements, {title} ({args.examples} per edge kind, side and category)")
            print("\n".join(show_examples(results[name]["disagreements"], args.examples)))

    report = {
        "settings": {"limit": count, "data": str(args.data.resolve()), "repeat": args.repeat, "machine": machine,
                     "joern": _joern_version(), "graphs": "extracted by this run" if args.reuse_graphs is None else
                     f"reused (--reuse-graphs), extracted {graphs.get('extracted_at', '?')}"},
        "throughput": {backend: {**timing[backend], "methods_per_s_wall": count / timing[backend]["wall_s"]}
                       for backend in ("treesitter", "joern")},
    }
    for name, result in results.items():
        report[name] = {
            "parity": {f"{kind} {variant}": counts.to_dict() for (kind, variant), counts in result["parity"].items()},
            "gold": {f"{backend} {kind} {variant}": counts.to_dict()
                     for (backend, kind, variant), counts in result["gold"].items()},
            "joern_edges_not_compared": dict(sorted(result["dropped"].items())),
            "joern_nodes": dict(result["unmapped"]),
            "gold_edges_unresolved": dict(result["unresolved_gold"]),
            "disagreements": {f"{kind} {side}: {category}": count for (kind, side, category), count in sorted(
                result["categories"].items(), key=lambda item: (KINDS.index(item[0][0]), item[0][1], -item[1]))},
        }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {args.output}")


def _joern_version() -> str:
    """The installed Joern's version, read off its ``joern-cli_*-<version>.jar`` (``?`` when not found)."""
    from cpg.joern import JoernNotFoundError, find_joern

    try:
        parse_tool = Path(find_joern()[0]).resolve()
    except JoernNotFoundError:
        return "?"
    for folder in (parse_tool.parent, *parse_tool.parents)[:3]:
        for jar in sorted(folder.glob("lib/*joern-cli*.jar")):
            return jar.stem.rsplit("-", 1)[-1]
    return "?"


if __name__ == "__main__":
    main()
