"""JavaScript (tree-sitter-javascript): CFG, DDG and CDG edges of small programs, checked edge by edge."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from tests.cpg.helpers import edge_texts


def _flow(code: str) -> tuple[set, set, set]:
    graph = extract(code, "javascript")
    assert not graph.warnings, graph.warnings
    return tuple(edge_texts(graph, t) for t in (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG))


def test_straight_line_and_if_else_if_chain() -> None:
    code = "function f(a) { let x = 0; if (a > 0) { x = 1; } else if (a < 0) x = 2; else { x = 3; } return x; }"
    cfg, ddg, cdg = _flow(code)
    entry = code
    assert cfg == {
        (entry, "let x = 0;"), ("let x = 0;", "if (a > 0) { x = 1; } else if (a < 0) x = 2; else { x = 3; }"),
        ("if (a > 0) { x = 1; } else if (a < 0) x = 2; else { x = 3; }", "x = 1;"),
        ("if (a > 0) { x = 1; } else if (a < 0) x = 2; else { x = 3; }", "if (a < 0) x = 2; else { x = 3; }"),
        ("if (a < 0) x = 2; else { x = 3; }", "x = 2;"), ("if (a < 0) x = 2; else { x = 3; }", "x = 3;"),
        ("x = 1;", "return x;"), ("x = 2;", "return x;"), ("x = 3;", "return x;"), ("return x;", ""),
    }
    assert {("x = 1;", "return x;"), ("x = 2;", "return x;"), ("x = 3;", "return x;")} <= ddg
    assert ("let x = 0;", "return x;") not in ddg  # every path redefines x
    assert (entry, "if (a > 0) { x = 1; } else if (a < 0) x = 2; else { x = 3; }") in ddg  # parameter a
    assert ("if (a < 0) x = 2; else { x = 3; }", "x = 2;") in cdg


def test_loops_break_continue_and_labels() -> None:
    code = ("function f(xs) { let s = 0; outer: for (const x of xs) { for (let i = 0; i < x; i++) { "
            "if (i > 5) break outer; if (i % 2) continue; s += i; } } return s; }")
    cfg, ddg, _ = _flow(code)
    inner = "for (let i = 0; i < x; i++) { if (i > 5) break outer; if (i % 2) continue; s += i; }"
    assert ("break outer;", "return s;") in cfg and ("continue;", inner) in cfg and ("s += i;", inner) in cfg
    assert ("s += i;", "s += i;") in ddg and ("s += i;", "return s;") in ddg and ("let s = 0;", "return s;") in ddg
    assert (inner, "s += i;") in ddg  # i from the loop header


def test_switch_try_finally_and_destructuring() -> None:
    code = ("function f(o, k) { const {a, b} = o; let r; switch (k) { case 1: r = a; break; case 2: r = b; "
            "default: r = 0; } try { r = g(r); } catch (e) { log(e); return -1; } finally { done(r); } return r; }")
    cfg, ddg, _ = _flow(code)
    assert ("const {a, b} = o;", "r = a;") in ddg and ("const {a, b} = o;", "r = b;") in ddg
    assert ("r = b;", "r = 0;") in cfg  # fall-through into default
    assert ("catch (e) { log(e); return -1; }", "log(e);") in ddg
    assert ("return -1;", "finally { done(r); }") in cfg and ("done(r);", "") in cfg  # the return runs finally first
    assert ("r = g(r);", "done(r);") in ddg


def test_closures_are_their_own_units_and_read_captured_variables() -> None:
    code = "function f(x) { const add = (y) => x + y; const sq = function (z) { return z * z; }; return add(sq(x)); }"
    graph = extract(code, "javascript")
    cfg = edge_texts(graph, EdgeType.CFG)
    assert ("(y) => x + y", "x + y") in cfg and ("function (z) { return z * z; }", "return z * z;") in cfg
    assert ("const add = (y) => x + y;", "return add(sq(x));") in edge_texts(graph, EdgeType.DDG)


def test_an_endless_for_is_left_only_by_its_break() -> None:
    cfg, _, _ = _flow("function f(x) { for (;;) { if (x) break; } return 1; }")
    loop = "for (;;) { if (x) break; }"
    assert ("break;", "return 1;") in cfg and (loop, "return 1;") not in cfg and (loop, "if (x) break;") in cfg


def test_destructuring_defaults_are_read_and_logical_assignments_are_conditional() -> None:
    code = "function f(o, d) { let x = 1; const {b = d} = o; x ??= b; return x; }"
    _, ddg, _ = _flow(code)
    entry = code
    assert (entry, "const {b = d} = o;") in ddg  # d is read (and o), not defined by the default
    assert ("let x = 1;", "return x;") in ddg and ("x ??= b;", "return x;") in ddg  # ??= does not kill x = 1
