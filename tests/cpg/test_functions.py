"""One graph per function of a file: names, positions, subgraphs equal to the method extracted alone, cut edges;
the functions' texts (split_functions)."""

from __future__ import annotations

import json

from cpg import extract, extract_functions, split_functions
from cpg.cli import main
from cpg.graph import EdgeType
from tests.cpg.helpers import norm

FILE = """import java.util.*;
class A {
    int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }
    int twice(int n) {
        Runnable r = () -> System.out.println(n);
        if (n > 0) { r.run(); }
        return fact(n) * 2;
    }
}
class B { B(int k) { this.k = k; } }
"""
TWICE = "int twice(int n) { Runnable r = () -> System.out.println(n); if (n > 0) { r.run(); } return fact(n) * 2; }"


def _edges(graph):
    nodes = graph.nodes
    return sorted((norm(nodes[e.src].text), norm(nodes[e.dst].text), e.type.name, e.label) for e in graph.edges)


def test_each_top_level_function_is_one_graph_with_its_position_in_the_file() -> None:
    functions = extract_functions(FILE, "java")
    assert [(f.name, f.start) for f in functions] == [("fact", (2, 4)), ("twice", (3, 4)), ("B", (9, 10))]
    fact, twice, b = functions
    assert fact.graph.nodes[0].kind == "method_declaration" and fact.graph.nodes[-1].kind == "method_exit"
    assert twice.graph.nodes[0].start == (3, 4)  # spans stay positions in the file
    assert sum(n.kind == "method_exit" for n in twice.graph.nodes) == 2  # the lambda is part of twice, with its exit
    assert (fact.cut_edges, twice.cut_edges, b.cut_edges) == (1, 1, 0)  # the CALL twice -> fact leaves both graphs
    assert [(norm(fact.graph.nodes[e.src].text), e.dst) for e in fact.graph.edges_of(EdgeType.CALL)] == [("fact(n - 1)", 0)]


def test_a_function_graph_equals_the_method_extracted_alone() -> None:
    twice = extract_functions(FILE, "java")[1].graph
    alone = extract(TWICE, "java")
    alone_edges = [e for e in _edges(alone) if e[2] != "CALL"]  # alone, fact is not defined: no CALL anyway
    assert _edges(twice) == alone_edges and twice.num_nodes == alone.num_nodes


def test_max_nodes_applies_per_function_and_bad_code_keeps_the_recovered_functions() -> None:
    small = extract_functions(FILE, "java", max_nodes=10)
    full = extract_functions(FILE, "java")
    assert [f.graph.num_nodes for f in full] == [23, 41, 14]
    assert [f.graph.num_nodes for f in small] == [10, 10, 10]
    assert all(f.graph.truncated and any("truncated" in w for w in f.graph.warnings) for f in small)
    broken = extract_functions("def f(x):\n    return x +\n\ndef g(y):\n    return y\n", "python")
    assert [f.name for f in broken] == ["f", "g"] and all("syntax errors" in f.graph.warnings[0] for f in broken)
    assert extract_functions("   ", "python") == []


def test_cli_per_function_json(tmp_path, capsys) -> None:
    source = tmp_path / "A.java"
    source.write_text(FILE)
    main([str(source), "--per-function", "--format", "json"])
    records = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["start"], r["cut_edges"]) for r in records] == [("fact", [2, 4], 1), ("twice", [3, 4], 1),
                                                                           ("B", [9, 10], 0)]  # fmt: skip
    assert records[1]["graph"]["nodes"][0]["kind"] == "method_declaration"
    main([str(source), "--per-function"])
    assert "3 functions" in capsys.readouterr().out


def test_split_functions_gives_each_top_level_function_text_at_its_position() -> None:
    functions = split_functions(FILE, "java")
    assert [(f.name, f.start) for f in functions] == [(f.name, f.start) for f in extract_functions(FILE, "java")]
    assert " ".join(functions[1].code.split()) == TWICE  # the lambda stays inside twice
    assert functions[2].code == "B(int k) { this.k = k; }"
    go = split_functions("package p\n\nfunc (s *S) Get() int { return s.v }\n\nvar f = func() {}\n", "go")
    assert [(f.name, f.start, f.code) for f in go] == [
        ("Get", (2, 0), "func (s *S) Get() int { return s.v }"),
        (None, (4, 8), "func() {}"),
    ]
    for function in functions:  # each cut function is a method the extractor reads without syntax errors
        assert not extract(function.code, "java").warnings


def test_split_functions_reads_the_whole_file_beyond_the_extraction_limits() -> None:
    many = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(6000))  # 12,000 lines
    functions = split_functions(many.encode("utf-8"), "python")
    assert len(functions) == 6000 and functions[-1].name == "f5999" and functions[-1].start == (11998, 0)
    assert len(extract_functions(many, "python")) == 5000  # extraction cuts the file at 10,000 lines
