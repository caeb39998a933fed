"""Edge labels (CFG flow kinds, DDG variables), CALL and ARGUMENT edges, and how they reach the cache and PyG."""

from __future__ import annotations

import pytest
import torch

from cpg import extract
from cpg.cache import decode, encode
from cpg.graph import CFG_LABEL_IDS, CodePropertyGraph, EdgeType
from cpg.languages import get_spec
from tests.cpg.helpers import norm

LOOPS = (
    "int f(int[] a, int k) { int s = 0, t = 1; int i = 0; while (i < a.length) { if (a[i] < 0) { i++; continue; } "
    "if (a[i] > k) break; s += a[i] * t; i++; } do { t--; } while (t > 0); "
    "switch (k) { case 0: s = 0; break; default: s = s + t; } "
    "try { check(s); } catch (Exception e) { throw e; } return s; }"
)


def labelled(graph: CodePropertyGraph, edge_type: EdgeType) -> set[tuple[str, str, str]]:
    """(source text, target text, label) of every edge of one type, texts whitespace-normalized."""
    nodes = graph.nodes
    return {(norm(nodes[e.src].text), norm(nodes[e.dst].text), e.label) for e in graph.edges if e.type == edge_type}


def test_every_cfg_edge_of_a_method_carries_its_flow_label() -> None:
    graph = extract(LOOPS, "java")
    loop = "while (i < a.length) { if (a[i] < 0) { i++; continue; } if (a[i] > k) break; s += a[i] * t; i++; }"
    first_if, second_if = "if (a[i] < 0) { i++; continue; }", "if (a[i] > k) break;"
    do, switch = "do { t--; } while (t > 0);", "switch (k) { case 0: s = 0; break; default: s = s + t; }"
    try_, catch = "try { check(s); } catch (Exception e) { throw e; }", "catch (Exception e) { throw e; }"
    entry = norm(graph.nodes[0].text)  # the method (its text cut to max_text_chars)
    assert labelled(graph, EdgeType.CFG) == {
        (entry, "int s = 0, t = 1;", "next"), ("int s = 0, t = 1;", "int i = 0;", "next"), ("int i = 0;", loop, "next"),
        (loop, first_if, "true"), (first_if, "i++;", "true"), ("i++;", "continue;", "next"),
        ("continue;", loop, "continue"), (first_if, second_if, "false"), (second_if, "break;", "true"),
        (second_if, "s += a[i] * t;", "false"), ("s += a[i] * t;", "i++;", "next"), ("i++;", loop, "back"),
        (loop, "t--;", "false"), ("break;", "t--;", "break"), (do, "t--;", "back"), ("t--;", do, "next"),
        (do, switch, "false"), (switch, "s = 0;", "case"), ("s = 0;", "break;", "next"),
        (switch, "s = s + t;", "case"), ("s = s + t;", try_, "next"), ("break;", try_, "break"),
        (try_, "check(s);", "next"), (try_, catch, "exception"), ("check(s);", catch, "exception"),
        (catch, "throw e;", "next"), ("throw e;", "", "exception"), ("check(s);", "return s;", "next"),
        ("return s;", "", "return"),
    }  # fmt: skip


def test_ddg_edges_name_their_variable_one_edge_per_variable() -> None:
    graph = extract("int f(int a, int b) { int c = a + b; a = c; return a * b; }", "java")
    assert labelled(graph, EdgeType.DDG) == {
        ("int f(int a, int b) { int c = a + b; a = c; return a * b; }", "int c = a + b;", "a"),
        ("int f(int a, int b) { int c = a + b; a = c; return a * b; }", "int c = a + b;", "b"),
        ("int f(int a, int b) { int c = a + b; a = c; return a * b; }", "return a * b;", "b"),
        ("int c = a + b;", "a = c;", "c"),
        ("a = c;", "return a * b;", "a"),
    }
    as_json = graph.to_dict()["edges"]
    assert {e["var"] for e in as_json if e["type"] == "DDG"} == {"a", "b", "c"}
    assert all("label" not in e and "var" not in e for e in as_json if e["type"] in ("AST", "CDG"))


def test_python_conditions_loops_and_handlers_are_labelled() -> None:
    code = "def f(xs):\n    for x in xs:\n        if x:\n            break\n    else:\n        return 0\n    try:\n        g()\n    except E:\n        pass\n    return 1\n"
    cfg = labelled(extract(code, "python"), EdgeType.CFG)
    loop = "for x in xs: if x: break else: return 0"
    assert {(loop, "if x: break", "true"), (loop, "return 0", "false"), ("if x: break", "break", "true"),
            ("if x: break", loop, "false"), ("break", "try: g() except E: pass", "break"),
            ("g()", "except E: pass", "exception"), ("return 0", "", "return")} <= cfg  # fmt: skip


def test_call_edges_link_calls_to_the_functions_of_the_snippet_by_name() -> None:
    code = (
        "class A { int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); } "
        "int twice(int n) { return this.fact(n) + other.fact(n, 2) + Math.max(n, 1); } }"
    )
    graph = extract(code, "java")
    calls = labelled(graph, EdgeType.CALL)
    fact = "int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }"
    assert calls == {("fact(n - 1)", fact, ""), ("this.fact(n)", fact, ""), ("other.fact(n, 2)", fact, "")}  # by name
    arguments = {(src, dst) for src, dst, _ in labelled(graph, EdgeType.ARGUMENT)}
    assert arguments == {("fact(n - 1)", "n - 1"), ("this.fact(n)", "n"), ("other.fact(n, 2)", "n"),
                         ("other.fact(n, 2)", "2"), ("Math.max(n, 1)", "n"), ("Math.max(n, 1)", "1")}  # fmt: skip
    python = extract("def g(x):\n    return x\n\nclass C:\n    def h(self):\n        return self.g(g(1))\n", "python")
    g = "def g(x): return x"
    assert labelled(python, EdgeType.CALL) == {("g(1)", g, ""), ("self.g(g(1))", g, "")}


def test_labels_survive_the_cache_and_reach_pyg() -> None:
    graph = extract(LOOPS, "java")
    cached = decode(encode(graph))
    assert cached is not None and cached.edges == graph.edges  # labels included
    for source in (graph, cached):
        data = source.to_pyg()
        cfg = data.edge_type == int(EdgeType.CFG)
        ddg = data.edge_type == int(EdgeType.DDG)
        labels = [e.label for e in graph.edges]
        assert data.cfg_label.tolist() == [CFG_LABEL_IDS[l] if e.type == EdgeType.CFG else 0 for e, l in zip(graph.edges, labels)]
        assert bool((data.cfg_label[cfg] > 0).all()) and bool((data.cfg_label[~cfg] == 0).all())
        assert bool((data.ddg_var[ddg] >= 0).all()) and bool((data.ddg_var[~ddg] == -1).all())
        names = [data.var_names[k] for k in data.ddg_var[ddg].tolist()]
        assert names == [e.label for e in graph.edges if e.type == EdgeType.DDG]
        assert sorted(data.var_names) == ["a", "e", "i", "k", "s", "t"]
    plain = graph.to_pyg(variables=False)
    assert "ddg_var" not in plain and "var_names" not in plain and torch.equal(plain.cfg_label, graph.to_pyg().cfg_label)


RECURSIVE = {  # each: f calls itself, g calls f and (through a receiver) itself
    "c_sharp": "class A { int f(int n) { return f(n - 1); } int g(int x) { return this.g(f(x)); } }",
    "python": "def f(n):\n    return f(n - 1)\n\nclass A:\n    def g(self, x):\n        return self.g(f(x))\n",
    "javascript": "function f(n) { return f(n - 1); }\nclass A { g(x) { return this.g(f(x)); } }\n",
    "typescript": "function f(n: number): number { return f(n - 1); }\nclass A { g(x: number) { return this.g(f(x)); } }\n",
    "go": "package main\nfunc f(n int) int { return f(n-1) }\nfunc (t T) g(x int) int { return t.g(f(x)) }\n",
    "c": "int f(int n) { return f(n - 1); }\nint g(int x) { return g(f(x)); }\n",
    "cpp": "int f(int n) { return f(n - 1); }\nint A::g(int x) { return this->g(f(x)); }\n",
    "php": "<?php\nfunction f($n) { return f($n - 1); }\nclass A { function g($x) { return $this->g(f($x)); } }\n",
    "ruby": "def f(n)\n  f(n - 1)\nend\nclass A\n  def g(x)\n    self.g(f(x))\n  end\nend\n",
}


@pytest.mark.parametrize("language", sorted(RECURSIVE))
def test_call_edges_in_every_language(language: str) -> None:
    graph = extract(RECURSIVE[language], language)
    assert not graph.warnings
    calls = graph.edges_of(EdgeType.CALL)
    assert len(calls) == 3  # f(n - 1) -> f, f(x) -> f, g(f(x)) -> g
    assert len({e.dst for e in calls}) == 2 and len({e.src for e in calls}) == 3
    assert all(graph.nodes[e.dst].kind in get_spec(language).function_kinds for e in calls)
    assert all(graph.nodes[e.src].start > graph.nodes[e.dst].start for e in calls)  # each call inside or after its callee
