"""Truncation at ``max_nodes``: expression-level nodes go first (leaves first), statements and their flow edges stay;
statements are cut only when they alone exceed the budget; the warning counts what was dropped."""

from __future__ import annotations

import re

import pytest

from cpg import CodePropertyGraph, EdgeType, extract
from cpg.cache import KeyMaker
from cpg.functions import extract_functions

FLOW = (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG)


def _nested(depth: int) -> str:
    """A Java method with ``depth`` nested ``if`` blocks, each with a statement before the next ``if``."""
    return ("int f(int a, int b) { " + "".join(f"if (a > {k}) {{ b = b + a * {k}; " for k in range(depth))
            + "return b; " + "} " * depth + "return a; }")


def _keyed(graph: CodePropertyGraph, types: tuple[EdgeType, ...]) -> set[tuple]:
    """Edges of ``types`` named by their ends' (kind, start, end), comparable across graphs of the same code."""
    key = [(node.kind, node.start, node.end) for node in graph.nodes]
    return {(key[e.src], key[e.dst], e.type, e.label) for e in graph.edges if e.type in types}


def _dropped(graph: CodePropertyGraph) -> tuple[int, int]:
    """The (expression-level, statement-level) node counts that the truncation warning reports."""
    warning = next(w for w in graph.warnings if w.startswith("truncated"))
    expressions = re.search(r"dropped ([\d,]+) expression-level nodes", warning)
    statements = re.search(r"and ([\d,]+) statement-level nodes", warning)
    return tuple(int(m.group(1).replace(",", "")) if m else 0 for m in (expressions, statements))


def _assert_valid_tree(graph: CodePropertyGraph) -> None:
    """Edges join kept nodes, and the AST edges make a tree: one parent per node but the roots."""
    assert all(0 <= e.src < graph.num_nodes and 0 <= e.dst < graph.num_nodes for e in graph.edges)
    parents: dict[int, int] = {}
    for edge in graph.edges_of(EdgeType.AST):
        assert edge.dst not in parents
        parents[edge.dst] = edge.src
    assert len(parents) == graph.num_nodes - 1  # one root: the method


def test_deep_nesting_keeps_every_statement_and_the_flow_edges_between_them() -> None:
    code = _nested(400)
    full = extract(code, "java", max_nodes=100_000)
    small = extract(code, "java", max_nodes=1300)  # 1,205 statement-level nodes (statements, blocks, method, exit)
    assert not full.truncated and small.truncated and small.num_nodes == 1300 < full.num_nodes
    assert _keyed(small, FLOW) == _keyed(full, FLOW)  # every CFG, DDG and CDG edge, labels included
    assert len(small.edges_of(EdgeType.CFG)) > 1200
    statements = {(n.kind, n.start, n.end) for n in full.nodes if n.kind in ("if_statement", "expression_statement")}
    assert statements <= {(n.kind, n.start, n.end) for n in small.nodes}
    assert _dropped(small) == (full.num_nodes - 1300, 0)
    assert any("max_nodes=1300" in w for w in small.warnings)
    _assert_valid_tree(small)


def test_leaf_expressions_go_first() -> None:
    code = _nested(30)
    full = extract(code, "java", max_nodes=100_000)
    small = extract(code, "java", max_nodes=full.num_nodes - 10)
    kept = {(n.kind, n.start, n.end) for n in small.nodes}
    lost = [n for n in full.nodes if (n.kind, n.start, n.end) not in kept]
    assert len(lost) == 10 and {n.kind for n in lost} <= {"identifier", "decimal_integer_literal"}
    _assert_valid_tree(small)


def test_statements_are_cut_only_when_they_alone_exceed_max_nodes() -> None:
    body = " ".join(f"int v{i} = v{i - 1} + {i};" for i in range(1, 400))
    code = f"int f(int v0) {{ {body} return v0; }}"
    full = extract(code, "java", max_nodes=100_000)
    small = extract(code, "java", max_nodes=100)
    assert small.truncated and small.num_nodes == 100
    expressions, statements = _dropped(small)
    assert statements > 0 and expressions + statements == full.num_nodes - 100
    assert any("statements alone exceed" in w for w in small.warnings)
    assert _keyed(small, FLOW) <= _keyed(full, FLOW)  # the kept part's edges are the whole graph's
    kinds = [n.kind for n in small.nodes]
    assert "method_exit" in kinds and kinds.count("local_variable_declaration") > 90  # the first statements
    assert len(small.edges_of(EdgeType.CFG)) > 90 and len(small.edges_of(EdgeType.DDG)) > 90
    _assert_valid_tree(small)


def test_function_graphs_are_truncated_the_same_way() -> None:
    code = "class A { " + _nested(50) + " }"
    whole = extract_functions(code, "java")[0].graph
    small = extract_functions(code, "java", max_nodes=200)[0].graph
    assert small.truncated and small.num_nodes == 200 and _dropped(small) == (whole.num_nodes - 200, 0)
    assert _keyed(small, FLOW) == _keyed(whole, FLOW)
    _assert_valid_tree(small)


@pytest.mark.parametrize("max_nodes", [2, 3])
def test_the_smallest_budgets_still_give_valid_graphs(max_nodes: int) -> None:
    graph = extract(_nested(3), "java", max_nodes=max_nodes)
    assert graph.truncated and graph.num_nodes == max_nodes
    _assert_valid_tree(graph)


def test_the_cache_key_names_the_extractor_version(monkeypatch: pytest.MonkeyPatch) -> None:
    key = KeyMaker("java", "treesitter", {"max_nodes": 10})("int f;")
    monkeypatch.setattr("cpg.cache.EXTRACTOR_VERSION", "0")
    assert KeyMaker("java", "treesitter", {"max_nodes": 10})("int f;") != key


@pytest.mark.parametrize("language, code", [
    ("java", "int f(int a) { int x; x = " + "(a = " * 16_000 + "1" + ")" * 16_000 + "; return x; }"),
    ("java", "int f(int a) { int x = " + "a + (" * 16_000 + "a" + ")" * 16_000 + "; return x; }"),
    ("python", "def f(a):\n    [x, " + "[a, " * 16_000 + "a" + "]" * 16_000 + "] = g()\n    return x\n"),
], ids=["nested_assignments", "nested_expression", "nested_patterns"])
def test_deeply_nested_expressions_are_analysed_in_linear_time(language: str, code: str) -> None:
    # the whole snippet is analysed before the cut: walks up the tree per identifier must not be quadratic
    import time

    started = time.perf_counter()
    graph = extract(code, language)
    assert time.perf_counter() - started < 10
    assert graph.truncated and not any("skipped" in w for w in graph.warnings)
    assert any(graph.nodes[e.dst].text.startswith("return x") for e in graph.edges_of(EdgeType.DDG))
