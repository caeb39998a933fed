"""Issue 11, item 5: a definition that is evaluated only on some paths inside one statement (after ``&&``/``||``/
``??``/``and``/``or``, in a branch of a conditional expression) may leave the earlier definition alive, so it must
not kill it. Unconditional definitions still kill."""

from __future__ import annotations

import pytest

from cpg import extract
from cpg.graph import EdgeType
from tests.cpg.helpers import edge_texts

CASES = {
    "java": (
        "int f(int a) { int b = 0; if (a > 0 && (b = g()) > 0) a = 1; return b; }",
        "int b = 0;", "return b;",
    ),
    "java_ternary": (
        "int f(int a) { int b = 0; int c = a > 0 ? (b = 1) : 2; return b; }",
        "int b = 0;", "return b;",
    ),
    "c_sharp": (
        "int F(int? a) { int b = 0; var c = a ?? (b = 3); return b; }",
        "int b = 0;", "return b;",
    ),
    "python": (
        "def f(a):\n    b = 0\n    if a or (b := g()):\n        a = 1\n    return b\n",
        "b = 0", "return b",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_conditional_definition_does_not_kill(case: str) -> None:
    code, first, use = CASES[case]
    language = case.split("_ternary")[0]
    ddg = edge_texts(extract(code, language), EdgeType.DDG)
    assert (first, use) in ddg  # the path where the conditional definition is skipped
    assert any(src != first and dst == use for src, dst in ddg)  # and the conditional definition itself


def test_an_unconditional_definition_in_a_condition_still_kills() -> None:
    ddg = edge_texts(extract("int f(int a) { int b = 0; if ((b = g()) > 0 && a > 0) a = 1; return b; }", "java"),
                     EdgeType.DDG)
    assert ("int b = 0;", "return b;") not in ddg  # the left operand of && is always evaluated


def test_a_use_after_its_own_statement_defines_the_variable_sees_only_that_definition() -> None:
    # issue 11, item 2: the second loop's header reads the i its own initializer defines, not the first loop's
    code = "int f(int n) { int s = 0; for (int i = 0; i < n; i++) s += i; for (int i = 0; i < n; i++) s -= i; return s; }"
    ddg = edge_texts(extract(code, "java"), EdgeType.DDG)
    first, second = "for (int i = 0; i < n; i++) s += i;", "for (int i = 0; i < n; i++) s -= i;"
    assert (first, second) not in {(a, b) for a, b in ddg if a != b}
    assert ("int s = 0;", "s += i;") in ddg and ("s += i;", "s -= i;") in ddg  # other flows stay
    assert (second, "s -= i;") in ddg and (second, second) in ddg  # its own i, also around the loop


def test_an_assignment_reads_the_old_value_before_it_defines() -> None:
    ddg = edge_texts(extract("int f(int x) { x = x + 1; return x; }", "java"), EdgeType.DDG)
    assert ("int f(int x) { x = x + 1; return x; }", "x = x + 1;") in ddg and ("x = x + 1;", "return x;") in ddg


def test_csharp_out_and_ref_arguments_define() -> None:
    # issue 11, item 6 (out/ref): TryParse's out argument defines m, a ref argument defines and reads t
    code = "int F(string s) { int m = 0; int t = 1; if (int.TryParse(s, out m)) G(ref t); return m + t; }"
    ddg = edge_texts(extract(code, "c_sharp"), EdgeType.DDG)
    assert ("if (int.TryParse(s, out m)) G(ref t);", "return m + t;") in ddg  # m from the out argument
    assert ("int m = 0;", "return m + t;") not in ddg  # killed: out always assigns
    assert ("int t = 1;", "G(ref t);") in ddg and ("G(ref t);", "return m + t;") in ddg


def test_csharp_yield_break_ends_the_iterator() -> None:
    # issue 11, item 6 (yield break): no fall-through to the next statement; yield return goes on
    code = "IEnumerable<int> F(int n) { if (n < 0) yield break; yield return n; Log(n); }"
    cfg = edge_texts(extract(code, "c_sharp"), EdgeType.CFG)
    assert ("yield break;", "yield return n;") not in cfg and ("yield break;", "") in cfg
    assert ("yield return n;", "Log(n);") in cfg


def test_pattern_and_deconstruction_bindings_define() -> None:
    # issue 11, item 4 (Java patterns, C# deconstruction)
    java = edge_texts(extract("void f(Object o) { if (o instanceof String s) use(s); }", "java"), EdgeType.DDG)
    assert ("if (o instanceof String s) use(s);", "use(s);") in java
    switch = "int f(Object o) { switch (o) { case Integer i when i > 0: return i; default: return 0; } }"
    assert any(dst == "return i;" and "case Integer i" in src for src, dst in
               edge_texts(extract(switch, "java"), EdgeType.DDG))
    code = ("void F(int a, int b, Dictionary<int, int> d) { (a, b) = (b, a); var (p, q) = G(a); "
            "foreach (var (k, v) in d) Use(k, v, p, q, b); }")
    ddg = edge_texts(extract(code, "c_sharp"), EdgeType.DDG)
    assert ("(a, b) = (b, a);", "var (p, q) = G(a);") in ddg  # a defined by the deconstruction
    assert ("var (p, q) = G(a);", "Use(k, v, p, q, b);") in ddg
    assert any(dst == "Use(k, v, p, q, b);" and src.startswith("foreach") for src, dst in ddg)


def test_csharp_goto_case_and_goto_default_jump_to_their_section() -> None:
    # issue 11, item 6 (goto case / goto default)
    code = "int F(int n) { switch (n) { case 1: n++; goto case 3; case 2: goto default; case 3: return n; default: return 0; } }"
    cfg = edge_texts(extract(code, "c_sharp"), EdgeType.CFG)
    assert ("goto case 3;", "return n;") in cfg and ("goto case 3;", "") not in cfg
    assert ("goto default;", "return 0;") in cfg


@pytest.mark.parametrize(("language", "code", "outer_def", "outer_use", "false_edge"), [
    ("python", "def f(xs):\n    x = 1\n    ys = [x for x in xs]\n    return x\n", "x = 1", "return x",
     ("x = 1", "ys = [x for x in xs]")),
    ("python", "def f(xs):\n    x = 1\n    g = lambda x: x + 1\n    return x\n", "x = 1", "return x",
     ("x = 1", "g = lambda x: x + 1")),
    ("java", "int f(int z) { Object o = new Object() { int z = 5; }; return z; }",
     "int f(int z) { Object o = new Object() { int z = 5; }; return z; }", "return z;",
     ("Object o = new Object() { int z = 5; };", "return z;")),
    ("c_sharp", "int F(int[] xs, int x) { x = 2; var q = from x in xs select x; return x; }", "x = 2;", "return x;",
     ("x = 2;", "var q = from x in xs select x;")),
])
def test_names_of_nested_scopes_are_not_the_methods_variables(language, code, outer_def, outer_use, false_edge) -> None:
    # issue 11, item 3: comprehension variables, lambda parameters, anonymous-class fields, LINQ range variables
    ddg = edge_texts(extract(code, language), EdgeType.DDG)
    assert (outer_def, outer_use) in ddg and false_edge not in ddg


def test_an_outer_variable_read_in_a_comprehension_is_a_captured_use() -> None:
    ddg = edge_texts(extract("def f(xs):\n    k = 2\n    ys = [x * k for x in xs]\n    return ys\n", "python"),
                     EdgeType.DDG)
    assert ("k = 2", "ys = [x * k for x in xs]") in ddg


def test_csharp_expression_bodied_members_get_a_cfg_and_setters_define_value() -> None:
    # issue 11, item 6 (expression-bodied properties, setter value)
    code = "class A { int x; int P => x + 1; int Q { get => x; private set { x = value; } } }"
    graph = extract(code, "c_sharp")
    assert ("int P => x + 1;", "=> x + 1") in edge_texts(graph, EdgeType.CFG)
    assert ("private set { x = value; }", "x = value;") in edge_texts(graph, EdgeType.DDG)


def test_python_match_captures_define_and_keyword_names_are_no_variables() -> None:
    # issue 11, items 3 and 4 (Python match)
    code = ("def f(p):\n    x = 0\n    match p:\n        case Point(x=px):\n            return px\n"
            "        case [a, b]:\n            return a + b\n        case Q() as q:\n            return q\n    return x\n")
    ddg = edge_texts(extract(code, "python"), EdgeType.DDG)
    match = next(src for src, _ in ddg if src.startswith("match p:"))
    assert {(match, "return px"), (match, "return a + b"), (match, "return q")} <= ddg
    assert ("x = 0", match) not in ddg and ("x = 0", "return x") in ddg  # ``x=`` names an attribute
