"""Issue 11, item 1: ``finally`` runs on every way out of its ``try``. A ``return``/``break``/``continue`` inside
the try goes to the ``finally`` and continues from its end to where it was going; an exception no handler takes
runs the ``finally`` and then leaves the method.

Issue 24, item 5: nodes are syntax nodes, so the CFG has one copy of a ``finally``, whose end goes on to the targets
of every way into it (a path may enter by ``return`` and leave toward the code after the try: each edge is taken by
some execution, such a path by none). Data flow keeps the ways apart, as a compiler's copies of the block would, so
no definition reaches a use along such a path; control dependence is computed on the CFG as it is."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from tests.cpg.helpers import edge_texts

JAVA = ("int f(String s) { int x = 0; try { x = p(s); return x; } catch (Exception e) { x = -1; } "
        "finally { log(x); } return x * 2; }")  # the example, its last return made distinguishable


def test_a_return_in_try_runs_finally_then_leaves() -> None:
    graph = extract(JAVA, "java")
    cfg, ddg = edge_texts(graph, EdgeType.CFG), edge_texts(graph, EdgeType.DDG)
    assert ("return x;", "finally { log(x); }") in cfg and ("return x;", "") not in cfg
    assert ("log(x);", "") in cfg  # the pending return leaves after the finally
    assert ("log(x);", "return x * 2;") in cfg  # the handled path goes on to the statement after the try
    assert ("x = p(s);", "log(x);") in ddg and ("x = -1;", "log(x);") in ddg


def test_break_and_continue_in_try_go_through_finally_to_their_targets() -> None:
    code = ("void f(int[] xs) { for (int x : xs) { try { if (x < 0) break; if (x == 0) continue; use(x); } "
            "finally { done(x); } } after(); }")
    cfg = edge_texts(extract(code, "java"), EdgeType.CFG)
    loop = "for (int x : xs) { try { if (x < 0) break; if (x == 0) continue; use(x); } finally { done(x); } }"
    assert ("break;", "finally { done(x); }") in cfg and ("break;", "after();") not in cfg
    assert ("continue;", "finally { done(x); }") in cfg and ("continue;", loop) not in cfg
    assert ("done(x);", "after();") in cfg and ("done(x);", loop) in cfg


def test_nested_finally_blocks_run_inner_then_outer() -> None:
    code = "int f() { try { try { return 1; } finally { a(); } } finally { b(); } }"
    cfg = edge_texts(extract(code, "java"), EdgeType.CFG)
    assert ("return 1;", "finally { a(); }") in cfg and ("a();", "finally { b(); }") in cfg
    assert ("b();", "") in cfg and ("a();", "") not in cfg


def test_python_return_in_try_runs_finally() -> None:
    code = "def f(s):\n    try:\n        return p(s)\n    finally:\n        log(s)\n"
    cfg = edge_texts(extract(code, "python"), EdgeType.CFG)
    assert ("return p(s)", "finally: log(s)") in cfg and ("return p(s)", "") not in cfg
    assert ("log(s)", "") in cfg


def test_data_flow_through_finally_goes_on_only_to_where_each_path_was_going() -> None:
    # The CFG has one copy of the finally (nodes are syntax nodes): its end goes on to the targets of every way into
    # it, so the CFG has paths that enter it by ``return x;`` and leave it toward ``return x * 10;``. Data flow keeps
    # the ways apart, as a compiler's copies of the finally would: x = 1 reaches only the return that leaves.
    code = ("int f(int c) { int x = 0; try { if (c > 0) { x = 1; return x; } x = 2; } finally { log(x); } "
            "return x * 10; }")
    graph = extract(code, "java")
    cfg, ddg = edge_texts(graph, EdgeType.CFG), edge_texts(graph, EdgeType.DDG)
    assert ("log(x);", "return x * 10;") in cfg and ("log(x);", "") in cfg  # the union of the continuations
    assert ("x = 1;", "log(x);") in ddg and ("x = 2;", "log(x);") in ddg and ("x = 2;", "return x * 10;") in ddg
    assert ("x = 1;", "return x * 10;") not in ddg and ("int x = 0;", "return x * 10;") not in ddg


def test_break_through_finally_carries_its_definitions_only_past_the_loop() -> None:
    code = ("void g(int[] xs) { int y = 0; for (int v : xs) { try { if (v < 0) { y = 1; break; } y = 2; } "
            "finally { done(); } use(y); } after(y); }")
    ddg = edge_texts(extract(code, "java"), EdgeType.DDG)
    assert {("y = 1;", "after(y);"), ("y = 2;", "use(y);"), ("y = 2;", "after(y);"), ("int y = 0;", "after(y);")} <= ddg
    assert ("y = 1;", "use(y);") not in ddg and ("int y = 0;", "use(y);") not in ddg


def test_python_return_in_try_does_not_reach_the_code_after_the_finally() -> None:
    code = ("def f(c):\n    x = 0\n    try:\n        if c:\n            x = 1\n            return x\n        x = 2\n"
            "    finally:\n        log()\n    return x * 10\n")
    ddg = edge_texts(extract(code, "python"), EdgeType.DDG)
    assert ("x = 2", "return x * 10") in ddg and ("x = 1", "return x") in ddg
    assert ("x = 1", "return x * 10") not in ddg and ("x = 0", "return x * 10") not in ddg
