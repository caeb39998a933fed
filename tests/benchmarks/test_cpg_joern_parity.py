"""The Joern parity benchmark's pure parts on hand-built graphs (no Joern): the statement units, the mapping of an
expression-level Joern graph onto them, and the agreement metrics."""

from __future__ import annotations

import pytest

from benchmarks.cpg_joern_parity import (
    Agreement,
    StatementUnits,
    agreement,
    is_definition,
    map_joern,
    project,
    treesitter_edges,
    units_on_cycles,
    variants,
)
from cpg.graph import CodePropertyGraph, Edge, EdgeType, Node

CODE = "int f(int x) {\n  int s = x;\n  return s;\n}"
AST, CFG, DDG = EdgeType.AST, EdgeType.CFG, EdgeType.DDG


def _treesitter() -> CodePropertyGraph:
    """What the tree-sitter backend makes of CODE: statements as CFG nodes, 0-based columns."""
    nodes = [
        Node("method_declaration", CODE, (0, 0), (3, 1)),
        Node("local_variable_declaration", "int s = x;", (1, 2), (1, 12)),
        Node("return_statement", "return s;", (2, 2), (2, 11)),
        Node("identifier", "x", (1, 10), (1, 11)),
        Node("method_exit", "", (3, 1), (3, 1)),
    ]
    edges = [Edge(0, 1, AST), Edge(0, 2, AST), Edge(1, 3, AST), Edge(0, 4, AST),
             Edge(0, 1, CFG, "next"), Edge(1, 2, CFG, "next"), Edge(2, 4, CFG, "return"),
             Edge(0, 1, DDG, "x"), Edge(1, 2, DDG, "s")]  # fmt: skip
    return CodePropertyGraph("java", "treesitter", nodes, edges)


def _joern() -> CodePropertyGraph:
    """What Joern makes of CODE: expression-level CFG, 1-based columns, REACHING_DEF with value labels."""
    nodes = [
        Node("METHOD", "int f(int x)", (0, 1), (3, 1)),  # 0
        Node("METHOD_PARAMETER_IN", "int x", (0, 7), (0, 7)),  # 1
        Node("METHOD_RETURN", "RET", (0, 1), (0, 1)),  # 2
        Node("BLOCK", "<empty>", (0, 14), (0, 14)),  # 3
        Node("CALL", "int s = x", (1, 7), (1, 7)),  # 4
        Node("IDENTIFIER", "s", (1, 7), (1, 7)),  # 5
        Node("IDENTIFIER", "x", (1, 11), (1, 11)),  # 6
        Node("RETURN", "return s;", (2, 3), (2, 3)),  # 7
        Node("IDENTIFIER", "s", (2, 10), (2, 10)),  # 8
    ]
    edges = [Edge(0, 1, AST), Edge(0, 2, AST), Edge(0, 3, AST), Edge(3, 4, AST), Edge(4, 5, AST), Edge(4, 6, AST),
             Edge(3, 7, AST), Edge(7, 8, AST),
             Edge(0, 5, CFG), Edge(5, 6, CFG), Edge(6, 4, CFG), Edge(4, 8, CFG), Edge(8, 7, CFG), Edge(7, 2, CFG),
             Edge(1, 6, DDG, "x"),  # parameter -> use: ENTRY -> int s = x; [x]
             Edge(5, 8, DDG, "s"),  # definition -> use: int s = x; -> return s; [s]
             Edge(6, 4, DDG, "x"),  # argument -> its call: inside one expression
             Edge(6, 5, DDG, "x"),  # argument -> sibling argument
             Edge(4, 2, DDG, "int s = x"),  # a value, labelled with its code
             Edge(7, 2, DDG, "<RET>"), Edge(0, 6, DDG, ""), Edge(1, 2, DDG, "x")]  # fmt: skip
    return CodePropertyGraph("java", "joern", nodes, edges)


def test_statement_units_map_nodes_and_positions_to_the_innermost_statement() -> None:
    units = StatementUnits(_treesitter())
    entry, declaration, ret = units.of_node(0), units.of_node(1), units.of_node(2)
    assert entry == ("stmt", 0, 0, 3, 1) and declaration == ("stmt", 1, 2, 1, 12)
    assert units.of_node(3) == declaration  # an expression: the statement that holds it
    assert units.of_node(4) == ("exit", 0, 0, 3, 1) == units.exit_unit[entry]
    assert units.at((2, 5)) == ret and units.at((0, 7)) == entry and units.at((9, 0)) is None
    assert [units.name(u) for u in (entry, declaration, units.of_node(4))] == ["ENTRY", "int s = x;@2", "EXIT"]
    assert units.function_at((1, 4)) == entry
    assert units.function_at((1, 4), inner=[entry]) is None  # must strictly hold the inner function


def test_joern_graph_maps_onto_the_same_statement_edges() -> None:
    units = StatementUnits(_treesitter())
    tree = treesitter_edges(units.graph, units)
    mapping = map_joern(_joern(), units, CODE)
    entry, declaration, ret, exit_ = (units.of_node(i) for i in (0, 1, 2, 4))
    assert mapping.edges["CFG"] == tree["CFG"] == {(entry, declaration), (declaration, ret), (ret, exit_)}
    assert mapping.edges["DDG"] == tree["DDG"] == {(entry, declaration, "x"), (declaration, ret, "s")}
    assert mapping.units[1] == entry and mapping.units[2] == exit_ and mapping.units[3] is None  # body block
    dropped = mapping.dropped
    assert dropped["CFG: inside one statement"] == 3  # s -> x -> (s = x), s -> return s;
    assert dropped["DDG: into the enclosing expression or a sibling argument"] == 2
    assert dropped["DDG: value of an expression (label is its code)"] == 1
    assert dropped["DDG: <RET> (return value -> METHOD_RETURN)"] == 1
    assert dropped["DDG: no variable (METHOD -> node)"] == 1
    assert dropped["DDG: to METHOD_RETURN / PARAMETER_OUT (value at exit)"] == 1
    counts = {key: agreement(*sets) for key, sets in variants(tree, mapping.edges, ("CFG", "DDG")).items()}
    assert all(c.jaccard == c.precision == c.recall == 1.0 for c in counts.values())
    graph = _joern()
    assert is_definition(graph, mapping.parent, 5, "s") and is_definition(graph, mapping.parent, 1, "x")
    assert not is_definition(graph, mapping.parent, 6, "x")  # a use, though Joern's REACHING_DEF may start there


def test_agreement_metrics() -> None:
    reference, candidate = {1, 2, 3, 4}, {3, 4, 5}
    counts = agreement(reference, candidate)
    assert (counts.both, counts.reference_only, counts.candidate_only) == (2, 2, 1)
    assert counts.jaccard == pytest.approx(2 / 5)
    assert counts.precision == pytest.approx(2 / 3) and counts.recall == pytest.approx(2 / 4)
    counts.add({9}, {9})  # summed over samples (micro)
    assert (counts.reference, counts.candidate, counts.both) == (5, 4, 3)
    empty = Agreement()
    assert empty.jaccard is None and empty.precision is None and empty.recall is None
    assert agreement(set(), {1}).precision == 0.0 and agreement(set(), {1}).recall is None


def test_projection_contracts_the_cfg_onto_kept_units_and_cycles_are_found() -> None:
    # a -> d -> b (d only in this graph), b -> c, c -> b (a loop), c -> e
    edges = {("a", "d"), ("d", "b"), ("b", "c"), ("c", "b"), ("c", "e")}
    assert project(edges, {"a", "b", "e"}) == {("a", "b"), ("b", "e")}  # b -> c -> b is a self-loop: dropped
    assert project(edges, {"a", "b", "c", "e"}) == {("a", "b"), ("b", "c"), ("c", "b"), ("c", "e")}
    assert units_on_cycles(edges) == {"b", "c"}
