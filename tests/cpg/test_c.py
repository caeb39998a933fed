"""C (tree-sitter-c): CFG, DDG and CDG edges of small functions (whole graphs: tests/cpg/gold/c.json)."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from cpg.languages import language_for_path
from tests.cpg.helpers import edge_texts, norm


def _flow(code: str) -> tuple[set, set, set]:
    graph = extract(code, "c")
    assert not graph.warnings, graph.warnings
    return tuple(edge_texts(graph, t) for t in (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG))


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
