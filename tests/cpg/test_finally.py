"""Issue 11, item 1: ``finally`` runs on every way out of its ``try``. A ``return``/``break``/``continue`` inside
the try goes to the ``finally`` and continues from its end to where it was going; an exception no handler takes
runs the ``finally`` and then leaves the method.

Issue 24, item 5: nodes are syntax nodes, so the CFG has one copy of a ``finally``, whose end goes on to the targets
of every way into it (a path may enter by ``return`` and leave toward the code after the try: each edge is taken by
some execution, such a path by none). Data flow keeps the ways apart, as a compiler's copies of the block would, so
no definition reaches a use along such a path; control dependence is computed on the CFG as it is."""

from __future__ import annotations

import pytest

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


# Handlers take only the exceptions they name (extractor version 6). A try whose handlers take less than every
# exception also leaves its body straight through its ``finally`` (then the function); one of them taking every
# exception (``Throwable``, a bare ``catch``/``except:``) closes that way. The body is ``a(x); b();`` so that ``a(x)``
# reaches the finally only by an exception, and ``d()`` follows the try so that only an exception leaves from the
# finally's ``c(x)`` to the exit.
HANDLED_SOME = [
    ("java", "void f(int x) { try { a(x); b(); } catch (IOException | RuntimeException e) { h(); } "
             "finally { c(x); } d(); }"),
    ("c_sharp", "void F(int x) { try { a(x); b(); } catch (IOException e) { h(); } finally { c(x); } d(); }"),
    ("c_sharp", "void F(int x) { try { a(x); b(); } catch (Exception e) when (e.HResult > 0) { h(); } "
                "finally { c(x); } d(); }"),  # a filter may let anything through
    ("python", "def f(x):\n    try:\n        a(x)\n        b()\n    except (ValueError, Exception) as e:\n        h()\n"
               "    finally:\n        c(x)\n    d()\n"),  # Exception misses KeyboardInterrupt
    ("php", "<?php function f($x) { try { a($x); b(); } catch (Exception $e) { h(); } finally { c($x); } d(); }"),
    ("ruby", "def f(x)\n  begin\n    a(x)\n    b\n  rescue\n    h\n  ensure\n    c(x)\n  end\n  d\nend\n"),
]
HANDLED_ALL = [
    ("java", "void f(int x) { try { a(x); b(); } catch (IOException | java.lang.Throwable e) { h(); } "
             "finally { c(x); } d(); }"),
    ("c_sharp", "void F(int x) { try { a(x); b(); } catch (IOException e) { h(); } catch { g(); } "
                "finally { c(x); } d(); }"),
    ("c_sharp", "void F(int x) { try { a(x); b(); } catch (System.Exception) { h(); } finally { c(x); } d(); }"),
    ("python", "def f(x):\n    try:\n        a(x)\n        b()\n    except:  # everything\n        h()\n"
               "    finally:\n        c(x)\n    d()\n"),
    ("python", "def f(x):\n    try:\n        a(x)\n        b()\n    except (BaseException) as e:\n        h()\n"
               "    finally:\n        c(x)\n    d()\n"),
    ("php", "<?php function f($x) { try { a($x); b(); } catch (A | \\THROWABLE $e) { h(); } "
            "finally { c($x); } d(); }"),
    ("ruby", "def f(x)\n  begin\n    a(x)\n    b\n  rescue A, ::Exception\n    h\n  ensure\n    c(x)\n  end\n"
             "  d\nend\n"),
]


def _exception_ways(code: str, language: str) -> tuple[bool, bool]:
    """(whether ``a(x)`` goes straight to the finally, whether the finally's last statement leaves the function)."""
    graph = extract(code, language)
    assert not graph.warnings, graph.warnings
    cfg = edge_texts(graph, EdgeType.CFG)
    first = next(src for src, _ in cfg if src.rstrip(";") in ("a(x)", "a($x)"))
    last = next(src for src, _ in cfg if src.rstrip(";") in ("c(x)", "c($x)"))
    into_finally = any(src == first and dst.startswith(("finally", "ensure")) for src, dst in cfg)
    return into_finally, (last, "") in cfg


@pytest.mark.parametrize(("language", "code"), HANDLED_SOME, ids=[f"{lang}-{i}" for i, (lang, _) in
                                                                  enumerate(HANDLED_SOME)])
def test_an_exception_no_handler_takes_runs_the_finally_then_leaves(language: str, code: str) -> None:
    assert _exception_ways(code, language) == (True, True)


@pytest.mark.parametrize(("language", "code"), HANDLED_ALL, ids=[f"{lang}-{i}" for i, (lang, _) in
                                                                 enumerate(HANDLED_ALL)])
def test_a_handler_that_takes_every_exception_closes_that_way(language: str, code: str) -> None:
    assert _exception_ways(code, language) == (False, False)


def test_a_definition_reaches_the_finally_along_an_exception_no_handler_takes() -> None:
    code = ("int f() { int x = 0; try { x = p(); x = q(x); } catch (IOException e) { return -1; } finally { log(x); } "
            "return x; }")
    ddg = edge_texts(extract(code, "java"), EdgeType.DDG)
    # p() raises an Error the handler does not take: x is still 0 in the finally (and the handled way returns -1)
    assert {("int x = 0;", "log(x);"), ("x = p();", "log(x);"), ("x = q(x);", "log(x);")} <= ddg
    assert ("int x = 0;", "return x;") not in ddg and ("x = p();", "return x;") not in ddg
