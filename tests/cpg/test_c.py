"""C (tree-sitter-c): CFG, DDG and CDG edges of small functions, two of them checked as whole graphs."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from cpg.languages import language_for_path
from tests.cpg.helpers import edge_texts, norm


def _flow(code: str) -> tuple[set, set, set]:
    graph = extract(code, "c")
    assert not graph.warnings, graph.warnings
    return tuple(edge_texts(graph, t) for t in (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG))


CLAMP = """int clamp(int *p, struct S s, int n) {
  int x = n, y;
  *p = x;
  s.f = n;
  if (x > 10) x = 10;
  else if (x < 0) { y = 0; x = y; }
  else x++;
  return x + s.f;
}"""


def test_whole_graph_of_an_if_else_chain_with_pointer_and_field_writes() -> None:
    cfg, ddg, cdg = _flow(CLAMP)
    entry, decl = norm(CLAMP), "int x = n, y;"
    outer = "if (x > 10) x = 10; else if (x < 0) { y = 0; x = y; } else x++;"
    inner = "if (x < 0) { y = 0; x = y; } else x++;"
    ret = "return x + s.f;"
    assert cfg == {
        (entry, decl), (decl, "*p = x;"), ("*p = x;", "s.f = n;"), ("s.f = n;", outer),
        (outer, "x = 10;"), (outer, inner), (inner, "y = 0;"), ("y = 0;", "x = y;"), (inner, "x++;"),
        ("x = 10;", ret), ("x = y;", ret), ("x++;", ret), (ret, ""),
    }  # fmt: skip
    # ``*p = x`` and ``s.f = n`` write through p and s: uses of p and s, no definitions; ``y`` alone defines nothing
    assert ddg == {
        (entry, decl), (entry, "*p = x;"), (entry, "s.f = n;"), (entry, ret),
        (decl, "*p = x;"), (decl, outer), (decl, inner), (decl, "x++;"),
        ("y = 0;", "x = y;"), ("x = 10;", ret), ("x = y;", ret), ("x++;", ret),
    }  # fmt: skip
    assert {(outer, "x = 10;"), (outer, inner), (inner, "x++;"), (inner, "x = y;")} <= cdg
    assert (outer, ret) not in cdg


SUM = """int sum(int *a, int n) {
  int s = 0, i, j;
  for (i = 0, j = n; i < j; i++) {
    if (a[i] < 0) goto fail;
    s += a[i];
  }
  do { s--; } while (s > 100);
  return s;
fail:
  free(a);
  return -1;
}"""


def test_whole_graph_of_goto_cleanup_do_while_and_comma_expressions() -> None:
    cfg, ddg, cdg = _flow(SUM)
    entry, decl = norm(SUM), "int s = 0, i, j;"
    loop = "for (i = 0, j = n; i < j; i++) { if (a[i] < 0) goto fail; s += a[i]; }"
    check, do = "if (a[i] < 0) goto fail;", "do { s--; } while (s > 100);"
    assert cfg == {
        (entry, decl), (decl, loop), (loop, check), (check, "goto fail;"), (check, "s += a[i];"),
        ("s += a[i];", loop), (loop, "s--;"), ("s--;", do), (do, "s--;"), (do, "return s;"), ("return s;", ""),
        ("goto fail;", "free(a);"), ("free(a);", "return -1;"), ("return -1;", ""),
    }  # fmt: skip
    # the header defines i and j (``i = 0, j = n``, ``i++``) and reads only its own definitions (around the loop)
    assert ddg == {
        (entry, loop), (entry, check), (entry, "s += a[i];"), (entry, "free(a);"),
        (loop, loop), (loop, check), (loop, "s += a[i];"),
        (decl, "s += a[i];"), (decl, "s--;"), ("s += a[i];", "s += a[i];"), ("s += a[i];", "s--;"),
        ("s--;", "s--;"), ("s--;", do), ("s--;", "return s;"),
    }  # fmt: skip
    assert {(check, "goto fail;"), (check, "free(a);"), (check, "return -1;"), (loop, "return s;")} <= cdg


def test_switch_falls_through_and_break_leaves_only_the_switch() -> None:
    code = """void f(int n) {
  while (n > 0) {
    switch (n % 3) {
    case 0: a();
    case 1: b(); break;
    case 2: continue;
    }
    n--;
  }
  done();
}"""
    cfg, ddg, cdg = _flow(code)
    loop = next(src for src, _ in cfg if src.startswith("while"))
    switch = next(src for src, _ in cfg if src.startswith("switch"))
    assert {(switch, "a();"), (switch, "b();"), (switch, "continue;")} <= cfg
    assert ("a();", "b();") in cfg  # case 0 falls through into case 1
    assert ("break;", "n--;") in cfg and ("continue;", loop) in cfg and ("continue;", "n--;") not in cfg
    assert (switch, "n--;") in cfg  # no default: no case may match
    assert ("n--;", loop) in cfg and (loop, "done();") in cfg
    assert ("n--;", switch) in ddg and ("n--;", "n--;") in ddg
    assert {(switch, "a();"), (switch, "continue;")} <= cdg and (switch, "n--;") in cdg


def test_preprocessor_conditionals_are_alternative_paths_and_macros_are_not_statements() -> None:
    code = """int f(int a, int n) {
#ifdef DEBUG
  log(a);
#elif defined(n) && LEVEL > 1
  a = 2;
#else
  a = 3;
#endif
#define TWICE(v) ((v) * 2)
#if FAST
  a++;
#endif
  switch (n) {
  case 1:
    a = 4;
#ifdef EXTRA
  case 2:
    a = 5;
#endif
  }
  return a;
}"""
    cfg, ddg, cdg = _flow(code)
    ifdef = "#ifdef DEBUG log(a); #elif defined(n) && LEVEL > 1 a = 2; #else a = 3; #endif"
    elif_ = "#elif defined(n) && LEVEL > 1 a = 2; #else a = 3;"
    fast = "#if FAST a++; #endif"
    switch = next(src for src, _ in cfg if src.startswith("switch"))
    assert {(ifdef, "log(a);"), (ifdef, elif_), (elif_, "a = 2;"), (elif_, "a = 3;")} <= cfg
    assert {("log(a);", fast), ("a = 2;", fast), ("a = 3;", fast), (fast, "a++;"), (fast, switch)} <= cfg
    assert (switch, "a = 5;") in cfg and ("a = 4;", "a = 5;") in cfg  # a case inside #ifdef is a case
    assert not any(text.startswith("#define") for edge in cfg for text in edge)
    # directive conditions name macros, not variables: ``defined(n)`` reads nothing
    assert {("a = 2;", "a++;"), ("a = 3;", "a++;"), ("a = 2;", "return a;"), ("a = 5;", "return a;")} <= ddg
    assert not any(dst in (ifdef, elif_, fast) for _, dst in ddg)
    assert (ifdef, "log(a);") in cdg and (fast, "a++;") in cdg


def test_declarators_pointers_and_calls_that_never_return() -> None:
    code = """int g(int *p, int n, int (*cb)(int)) {
  int (*fp)(int) = cb;
  int b[n], i = 0, j;
  *p++ = i;
  read_into(&j);
  if (!fp) exit(1);
  return fp(b[j]) + *p;
}"""
    cfg, ddg, _ = _flow(code)
    entry = norm(code)
    ret = "return fp(b[j]) + *p;"
    assert (entry, "int (*fp)(int) = cb;") in ddg and ("int (*fp)(int) = cb;", "if (!fp) exit(1);") in ddg
    assert (entry, "int b[n], i = 0, j;") in ddg  # the array size reads n
    assert ("int b[n], i = 0, j;", "*p++ = i;") in ddg  # i is initialized ...
    assert ("int b[n], i = 0, j;", ret) not in ddg  # ... b and j are not
    assert (entry, "*p++ = i;") in ddg and ("*p++ = i;", ret) in ddg  # ``*p++`` reads and moves p
    assert (entry, ret) not in ddg
    assert ("exit(1);", "") in cfg and ("exit(1);", ret) not in cfg


def test_a_conditional_definition_in_a_short_circuit_or_ternary_operand_does_not_kill() -> None:
    code = """int h(int a) {
  int b = 0, c = 0;
  if (a > 0 && (b = next()) > 0) a = 1;
  a = a ? (c = 2) : 3;
  return a + b + c;
}"""
    _, ddg, _ = _flow(code)
    ret = "return a + b + c;"
    cond, ternary = "if (a > 0 && (b = next()) > 0) a = 1;", "a = a ? (c = 2) : 3;"
    assert {("int b = 0, c = 0;", ret), (cond, ret), (ternary, ret)} <= ddg
    assert ("a = 1;", ternary) in ddg and ("a = 1;", ret) not in ddg  # the assignment itself always kills a


def test_for_declarations_are_the_loops_own_and_msvc_finally_runs_on_return() -> None:
    code = """int f(int n) {
  int s = 0;
  for (int i = 0; i < n; i++) s += i;
  __try { if (s > 9) return 1; g(); } __finally { done(s); }
  for (int i = 0; i < n; i++) s -= i;
  return s;
}"""
    cfg, ddg, _ = _flow(code)
    first, second = "for (int i = 0; i < n; i++) s += i;", "for (int i = 0; i < n; i++) s -= i;"
    assert (first, second) not in ddg and (second, second) in ddg and (second, "s -= i;") in ddg
    assert ("return 1;", "__finally { done(s); }") in cfg and ("return 1;", "") not in cfg
    assert {("done(s);", ""), ("done(s);", second), ("g();", "__finally { done(s); }")} <= cfg
    assert {("s += i;", "done(s);"), ("s += i;", "s -= i;")} <= ddg


def test_a_gcc_nested_function_is_a_unit_of_its_own_that_reads_captured_variables() -> None:
    code = """int outer(int a) {
  int k = 2;
  int scale(int x) { return x * k; }
  return scale(a);
}"""
    graph = extract(code, "c")
    cfg, ddg = edge_texts(graph, EdgeType.CFG), edge_texts(graph, EdgeType.DDG)
    nested = "int scale(int x) { return x * k; }"
    assert {(nested, "return x * k;"), ("return x * k;", "")} <= cfg
    assert ("int k = 2;", nested) in cfg and (nested, "return scale(a);") in cfg  # a statement of outer
    assert (nested, "return x * k;") in ddg and ("int k = 2;", nested) in ddg  # x its own, k captured
    assert sum(node.kind == "method_exit" for node in graph.nodes) == 2


def test_a_macro_that_only_parses_after_expansion_gives_a_partial_graph_and_a_warning() -> None:
    code = "int count(struct list_head *head) {\n  int n = 0;\n  list_for_each(pos, head) { n++; }\n  return n;\n}"
    graph = extract(code, "c")
    assert any("syntax error" in warning for warning in graph.warnings)
    assert ("n++;", "return n;") in edge_texts(graph, EdgeType.CFG)
    assert ("n++;", "return n;") in edge_texts(graph, EdgeType.DDG)


def test_files_map_to_c_and_cpp_by_extension() -> None:
    assert [language_for_path(p) for p in ("a.c", "b.h", "c.cc", "d.cpp", "e.hpp")] == ["c", "c", "cpp", "cpp", "cpp"]


def test_an_address_passed_to_a_call_may_define_the_variable() -> None:
    code = "int f(int *q) { int n = 0; scanf(\"%d\", &n); *q = n; g(&n, *q); return n; }"
    _, ddg, _ = _flow(code)
    scan, store, call = 'scanf("%d", &n);', "*q = n;", "g(&n, *q);"
    assert ("int n = 0;", scan) in ddg  # &n also reads n
    assert ("int n = 0;", store) in ddg and (scan, store) in ddg  # scanf may or may not have written n
    assert (scan, call) in ddg and (call, "return n;") in ddg and (scan, "return n;") in ddg
    assert (store, call) not in ddg  # ``*q = n`` writes through q: it defines neither q nor n
    assert (norm(code), call) in ddg  # the parameter q is read by ``*q``
