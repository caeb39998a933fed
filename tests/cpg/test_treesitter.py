"""Tree-sitter backend: CFG, DDG and CDG edges between specific statements, for Java, C# and Python."""

from __future__ import annotations

import pytest

from cpg import EdgeType, extract
from tests.cpg.helpers import edge_texts, node_index, norm

# One method per language with an if/else, a loop and a return. Texts of its statements, by role.
CASES = {
    "java": (
        """public int clamp(int x, int[] items) {
    int y = x;
    if (y > 10) {
        y = 10;
    } else {
        y = y + 1;
    }
    for (int item : items) {
        y += item;
    }
    return y;
}""",
        {
            "decl": "int y = x;",
            "if": "if (y > 10) { y = 10; } else { y = y + 1; }",
            "then": "y = 10;",
            "else": "y = y + 1;",
            "loop": "for (int item : items) { y += item; }",
            "body": "y += item;",
            "return": "return y;",
        },
    ),
    "c_sharp": (
        """public int Clamp(int x, int[] items) {
    int y = x;
    if (y > 10) {
        y = 10;
    } else {
        y = y + 1;
    }
    foreach (var item in items) {
        y += item;
    }
    return y;
}""",
        {
            "decl": "int y = x;",
            "if": "if (y > 10) { y = 10; } else { y = y + 1; }",
            "then": "y = 10;",
            "else": "y = y + 1;",
            "loop": "foreach (var item in items) { y += item; }",
            "body": "y += item;",
            "return": "return y;",
        },
    ),
    "python": (
        """def clamp(x, items):
    y = x
    if y > 10:
        y = 10
    else:
        y = y + 1
    for item in items:
        y += item
    return y
""",
        {
            "decl": "y = x",
            "if": "if y > 10: y = 10 else: y = y + 1",
            "then": "y = 10",
            "else": "y = y + 1",
            "loop": "for item in items: y += item",
            "body": "y += item",
            "return": "return y",
        },
    ),
}

BROKEN = {
    "java": "public int f(int x) { int y = x; if (y > ) { return 1; } return y; }",
    "c_sharp": "public int F(int x) { int y = x; if (y > ) { return 1; } return y; }",
    "python": "def f(x):\n    y = x\n    if y >:\n        return 1\n    return y\n",
}
BROKEN_RETURN = {"java": "return y;", "c_sharp": "return y;", "python": "return y"}


@pytest.mark.parametrize("language", CASES)
def test_cfg_if_else_loop_return(language):
    code, s = CASES[language]
    graph = extract(code, language)
    assert graph.warnings == [] and not graph.truncated
    cfg = edge_texts(graph, EdgeType.CFG)
    expected = {
        (s["decl"], s["if"]),
        (s["if"], s["then"]),
        (s["if"], s["else"]),
        (s["then"], s["loop"]),
        (s["else"], s["loop"]),
        (s["loop"], s["body"]),
        (s["body"], s["loop"]),  # back edge
        (s["loop"], s["return"]),  # loop exit
        (s["return"], ""),  # to the method exit node
    }
    assert expected <= cfg
    assert (s["then"], s["else"]) not in cfg and (s["if"], s["loop"]) not in cfg
    function = next(i for i, n in enumerate(graph.nodes) if n.kind in ("method_declaration", "function_definition"))
    exit_node = next(
        e.dst for e in graph.edges_of(EdgeType.AST) if e.src == function and graph.nodes[e.dst].kind == "method_exit"
    )
    cfg_pairs = {(e.src, e.dst) for e in graph.edges_of(EdgeType.CFG)}
    assert (function, node_index(graph, s["decl"])) in cfg_pairs  # entry
    assert (node_index(graph, s["return"]), exit_node) in cfg_pairs
    # every CFG edge connects statement-level nodes (or the entry/exit), never expressions
    kinds = {graph.nodes[i].kind for e in graph.edges_of(EdgeType.CFG) for i in (e.src, e.dst)}
    assert not kinds & {"identifier", "binary_expression", "assignment_expression", "assignment"}


@pytest.mark.parametrize("language", CASES)
def test_ddg_def_reaches_use_and_redefinition_kills(language):
    code, s = CASES[language]
    graph = extract(code, language)
    ddg = edge_texts(graph, EdgeType.DDG)
    assert (s["decl"], s["else"]) in ddg  # y defined by the declaration, used by y = y + 1
    assert (s["decl"], s["if"]) in ddg  # ... and by the condition
    assert {(s["then"], s["return"]), (s["else"], s["return"]), (s["body"], s["return"])} <= ddg
    assert (s["then"], s["body"]) in ddg and (s["body"], s["body"]) in ddg  # += uses the previous y
    assert (s["loop"], s["body"]) in ddg  # the loop variable is defined by the loop header
    assert (s["decl"], s["return"]) not in ddg  # killed on both branches
    assert (s["decl"], s["then"]) not in ddg  # y = 10 does not use y
    function = next(i for i, n in enumerate(graph.nodes) if n.kind in ("method_declaration", "function_definition"))
    ddg_pairs = {(e.src, e.dst) for e in graph.edges_of(EdgeType.DDG)}
    assert (function, node_index(graph, s["decl"])) in ddg_pairs  # parameter x, defined at the entry


@pytest.mark.parametrize("language", CASES)
def test_cdg_branches_control_their_bodies(language):
    code, s = CASES[language]
    cdg = edge_texts(extract(code, language), EdgeType.CDG)
    assert {(s["if"], s["then"]), (s["if"], s["else"]), (s["loop"], s["body"])} <= cdg
    assert (s["if"], s["return"]) not in cdg and (s["if"], s["loop"]) not in cdg


@pytest.mark.parametrize("language", BROKEN)
def test_syntax_error_gives_partial_graph_and_warning(language):
    graph = extract(BROKEN[language], language)
    assert any("syntax error" in warning for warning in graph.warnings)
    assert graph.num_nodes > 5
    assert any(norm(n.text) == BROKEN_RETURN[language] for n in graph.nodes)
    assert graph.edge_counts()["AST"] == graph.num_nodes - 1 or graph.edge_counts()["AST"] > 0


@pytest.mark.parametrize(
    ("language", "code", "root_kind", "cfg_edge"),
    [
        (
            "java",
            "public void delete(int key) {int i = find(key);if (i >= 0) {mValues[i] = null;}}",
            "method_declaration",
            ("int i = find(key);", "if (i >= 0) {mValues[i] = null;}"),
        ),
        (
            "c_sharp",
            "public virtual void Delete(int key) {int i = Find(key);if (i >= 0) {mValues[i] = null;}}",
            "method_declaration",
            ("int i = Find(key);", "if (i >= 0) {mValues[i] = null;}"),
        ),
        (
            "java",
            "public CellRangeAddressList(int firstRow, int lastRow) {this();add(firstRow, lastRow);}",
            "constructor_declaration",
            ("this();", "add(firstRow, lastRow);"),
        ),
    ],
)
def test_bare_method_is_wrapped_and_spans_map_back(language, code, root_kind, cfg_edge):
    graph = extract(code, language)
    assert graph.warnings == []
    assert graph.nodes[0].kind == root_kind and graph.nodes[0].start == (0, 0) and graph.nodes[0].text == code
    assert not any("CpgWrapper" in node.text or node.kind in ("class_body", "declaration_list") for node in graph.nodes)
    roots = set(range(graph.num_nodes)) - {e.dst for e in graph.edges_of(EdgeType.AST)}
    assert roots == {0}
    for node in graph.nodes[:-1]:  # spans point at the node's own text (the last node is the synthetic exit)
        assert node.start[0] == node.end[0] == 0
        assert code[node.start[1] : node.end[1]] == node.text
    assert cfg_edge in edge_texts(graph, EdgeType.CFG)


def test_compilation_units_are_not_wrapped():
    java = extract("package a;\nclass A { int f() { return 1; } }", "java")
    assert java.nodes[0].kind == "program" and java.nodes[0].start == (0, 0)
    cs = extract("using System;\nclass A { int F() { return 1; } }", "cs")
    assert cs.nodes[0].kind == "compilation_unit"
    statements = extract("int y = 1;\ny++;\nSystem.out.println(y);", "java")  # top-level statements: no wrapper
    assert statements.warnings == [] and statements.nodes[0].kind == "program"
    assert ("int y = 1;", "y++;") in edge_texts(statements, EdgeType.DDG)


def test_java_jumps_switch_and_try():
    code = """void f(int n) {
    outer:
    for (int i = 0; i < n; i++) {
        while (n > 0) {
            if (n == 3) continue outer;
            if (n == 4) break;
            n--;
        }
        do { n++; } while (n < 2);
    }
    switch (n) {
        case 1: a(); 
        case 2: b(); break;
        default: c();
    }
    try { d(); } catch (Exception e) { log(e); } finally { done(); }
    Runnable r = () -> { run(n); };
}"""
    graph = extract(code, "java")
    cfg = edge_texts(graph, EdgeType.CFG)
    loop = next(norm(n.text) for n in graph.nodes if n.kind == "for_statement")
    inner = next(norm(n.text) for n in graph.nodes if n.kind == "while_statement")
    assert ("continue outer;", loop) in cfg  # labeled continue goes to the outer loop header
    switch = next(norm(n.text) for n in graph.nodes if n.kind == "switch_expression")
    assert ("break;", "n++;") in cfg  # plain break leaves the inner while, into the do body
    assert ("n--;", inner) in cfg and (inner, "n++;") in cfg
    assert ("n++;", "do { n++; } while (n < 2);") in cfg and ("do { n++; } while (n < 2);", "n++;") in cfg
    assert ("do { n++; } while (n < 2);", loop) in cfg and (loop, switch) in cfg
    assert ("a();", "b();") in cfg  # fall-through from case 1
    assert (switch, "a();") in cfg and (switch, "c();") in cfg and ("b();", "break;") in cfg
    try_text = "try { d(); } catch (Exception e) { log(e); } finally { done(); }"
    assert ("c();", try_text) in cfg and ("break;", try_text) in cfg
    assert {(try_text, "d();"), ("d();", "catch (Exception e) { log(e); }"), ("log(e);", "finally { done(); }")} <= cfg
    assert ("d();", "finally { done(); }") in cfg and ("finally { done(); }", "done();") in cfg
    assert ("catch (Exception e) { log(e); }", "log(e);") in edge_texts(graph, EdgeType.DDG)  # catch parameter
    # the lambda is a CFG of its own: its statement is not in the method's flow
    assert ("() -> { run(n); }", "run(n);") in cfg
    assert not any(dst == "run(n);" and src != "() -> { run(n); }" for src, dst in cfg)
    assert graph.edge_counts()["CFG"] > 0 and sum(n.kind == "method_exit" for n in graph.nodes) == 2


def test_java_field_and_method_names_are_not_variables_and_updates_define():
    code = """int f(Foo foo) {
    int size = 1;
    foo.size();
    this.size = 2;
    size++;
    return size;
}"""
    ddg = edge_texts(extract(code, "java"), EdgeType.DDG)
    assert ("int size = 1;", "size++;") in ddg and ("size++;", "return size;") in ddg
    assert ("int size = 1;", "foo.size();") not in ddg and ("int size = 1;", "this.size = 2;") not in ddg
    assert ("int size = 1;", "return size;") not in ddg  # killed by size++


def test_early_return_controls_the_rest():
    cdg = edge_texts(extract("void f(int a) { if (a > 0) return; g(); }", "java"), EdgeType.CDG)
    assert ("if (a > 0) return;", "return;") in cdg and ("if (a > 0) return;", "g();") in cdg


def test_python_clauses():
    code = """def f(xs):
    n = 0
    while n < 3:
        n += 1
    else:
        n = -1
    if n == 1:
        a = 1
    elif n == 2:
        a = 2
    else:
        a = 3
    try:
        b = g(a)
    except ValueError as err:
        b = err
    else:
        b = b + 1
    finally:
        done()
    with open(xs) as handle:
        first, second = handle
    match first:
        case 1:
            c = 1
        case _:
            c = 2
    return b, second, c
"""
    graph = extract(code, "python")
    assert graph.warnings == []
    cfg = edge_texts(graph, EdgeType.CFG)
    loop = norm("while n < 3: n += 1 else: n = -1")
    assert (loop, "n += 1") in cfg and ("n += 1", loop) in cfg and (loop, "n = -1") in cfg
    branch = next(norm(n.text) for n in graph.nodes if n.kind == "if_statement")
    elif_clause = norm("elif n == 2: a = 2")
    assert ("n = -1", branch) in cfg and (branch, "a = 1") in cfg and (branch, elif_clause) in cfg
    assert (elif_clause, "a = 2") in cfg and (elif_clause, "a = 3") in cfg and (branch, "a = 3") not in cfg
    handler = norm("except ValueError as err: b = err")
    assert ("b = g(a)", handler) in cfg and ("b = g(a)", "b = b + 1") in cfg
    assert ("b = err", "finally: done()") in cfg and ("b = b + 1", "finally: done()") in cfg
    ddg = edge_texts(graph, EdgeType.DDG)
    assert (handler, "b = err") in ddg  # ``as err`` defines err
    assert ("b = g(a)", "b = b + 1") in ddg
    assert ("first, second = handle", "return b, second, c") in ddg  # tuple unpacking defines both
    with_text = norm("with open(xs) as handle: first, second = handle")
    assert (with_text, "first, second = handle") in ddg
    match = next(norm(n.text) for n in graph.nodes if n.kind == "match_statement")
    assert (match, "c = 1") in cfg and (match, "c = 2") in cfg and (match, "return b, second, c") not in cfg
    assert ("c = 1", "return b, second, c") in ddg and ("c = 2", "return b, second, c") in ddg


def test_python_nested_function_has_its_own_scope():
    code = "def outer(x):\n    def inner(x):\n        return x\n    return x\n"
    graph = extract(code, "python")
    outer = node_index(graph, norm(code), "function_definition")
    inner = node_index(graph, "def inner(x): return x", "function_definition")
    pairs = {(e.src, e.dst) for e in graph.edges_of(EdgeType.DDG)}
    returns = [i for i, n in enumerate(graph.nodes) if n.kind == "return_statement"]
    assert (outer, returns[1]) in pairs  # the inner def statement does not redefine x
    assert (inner, returns[0]) in pairs and (outer, returns[0]) not in pairs


def test_csharp_switch_using_and_lambda():
    code = """public int F(int n, Stream s) {
    switch (n) {
        case 1:
            n = 2;
            break;
        default:
            return 0;
    }
    using (var r = new Reader(s)) {
        n += r.Read();
    }
    Func<int, int> g = a => a + n;
    return g(n);
}"""
    graph = extract(code, "cs")
    assert graph.language == "c_sharp" and graph.warnings == []
    cfg = edge_texts(graph, EdgeType.CFG)
    switch = next(norm(n.text) for n in graph.nodes if n.kind == "switch_statement")
    using = next(norm(n.text) for n in graph.nodes if n.kind == "using_statement")
    assert (switch, "n = 2;") in cfg and (switch, "return 0;") in cfg and ("break;", using) in cfg
    assert (switch, using) not in cfg  # there is a default section
    ddg = edge_texts(graph, EdgeType.DDG)
    assert ("n = 2;", "n += r.Read();") in ddg and (using, "n += r.Read();") in ddg  # r defined by using
    assert ("Func<int, int> g = a => a + n;", "return g(n);") in ddg
