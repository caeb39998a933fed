"""Issue 11, item 1: ``finally`` runs on every way out of its ``try``. A ``return``/``break``/``continue`` inside
the try goes to the ``finally`` and continues from its end to where it was going; an exception no handler takes
runs the ``finally`` and then leaves the method."""

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
