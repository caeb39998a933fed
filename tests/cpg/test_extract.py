"""extract(): bad input never raises, limits, language/backend validation, and graph conversions."""

from __future__ import annotations

import json

import pytest
import torch

from cpg import SUPPORTED_LANGUAGES, CodePropertyGraph, EdgeType, extract, extract_many, normalize_language
from cpg.cache import decode, encode
from tests.cpg.helpers import edge_texts, norm

JAVA = "public int f(int x) { int y = x * 2; if (y > 3) { y = 3; } return y; }"


def test_supported_languages_and_aliases():
    assert SUPPORTED_LANGUAGES[:4] == ("java", "c_sharp", "python", "javascript")
    assert {"typescript", "tsx", "go"} <= set(SUPPORTED_LANGUAGES)
    for alias in ("csharp", "cs", "c#", "C#", "c_sharp"):
        assert normalize_language(alias) == "c_sharp"
    assert normalize_language("JS") == "javascript"
    assert extract("int F() { return 1; }", "C#").language == "c_sharp"


def test_unknown_language_or_backend_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unsupported language 'cobol'.*java.*c_sharp.*python"):
        extract("x", "cobol")
    with pytest.raises(ValueError, match=r"unknown backend 'clang'.*treesitter, joern"):
        extract("x", "java", backend="clang")
    with pytest.raises(ValueError, match="unsupported language"):
        extract_many(["x"], "cobol", progress=False)
    with pytest.raises(ValueError, match="shard"):
        extract_many(["x"], "java", shard=(2, 2), progress=False)


@pytest.mark.parametrize("code", ["", "   \n\t", b""])
def test_empty_input_gives_empty_graph_and_warning(code):
    graph = extract(code, "python")
    assert graph.num_nodes == 0 and graph.edges == [] and graph.warnings == ["empty input: no code to parse"]


def test_non_utf8_bytes_are_decoded_with_replacement_and_a_warning():
    graph = extract(b"int f() { String s = \"caf\xe9\"; return 1; }", "java")
    assert "not valid UTF-8" in graph.warnings[0] and len(graph.warnings) == 1
    assert any("caf\ufffd" in node.text for node in graph.nodes)
    assert extract("int f() { return 1; }".encode(), "java").warnings == []


def test_non_ascii_spans_count_characters():
    code = 'int f() { String s = "héllo wörld"; return s.length(); }'
    graph = extract(code, "java")
    ret = next(n for n in graph.nodes if n.kind == "return_statement")
    assert code[ret.start[1] : ret.end[1]] == ret.text == "return s.length();"


def test_huge_input_is_truncated_with_a_warning():
    body = " ".join(f"int v{i} = v{i - 1} + {i};" for i in range(1, 3000))
    graph = extract(f"int f(int v0) {{ {body} return v0; }}", "java", max_nodes=300)
    assert graph.truncated and 0 < graph.num_nodes <= 300
    assert any("truncated" in w and "max_nodes=300" in w for w in graph.warnings)
    assert all(0 <= e.src < graph.num_nodes and 0 <= e.dst < graph.num_nodes for e in graph.edges)
    assert graph.edge_counts()["CFG"] > 30 and graph.edge_counts()["DDG"] > 30  # flow survives on the kept part
    assert not extract("int f() { return 1; }", "java").truncated


def test_node_text_is_capped_but_spans_stay_exact():
    graph = extract(JAVA, "java", max_text_chars=10)
    root = graph.nodes[0]
    assert root.text == JAVA[:10] and root.end == (0, len(JAVA))
    assert max(len(n.text) for n in graph.nodes) == 10


def test_deep_nesting_keeps_the_ast_and_its_flow():
    def nested(depth: int) -> str:
        return "void f(int a) { " + "if (a > 0) { " * depth + "a++;" + " }" * depth + " }"

    graph = extract(nested(1500), "java")
    assert graph.num_nodes > 1500 and graph.edge_counts()["AST"] == graph.num_nodes - 1
    assert not any("nested too deeply" in w for w in graph.warnings) and graph.edge_counts()["CFG"] > 500
    # entry -> if 1, if i -> if i+1 (59), if 60 -> a++, a++ -> exit, and each if's false branch -> exit (60)
    assert extract(nested(60), "java").edge_counts()["CFG"] == 1 + 59 + 1 + 1 + 60


def test_extract_many_counts_a_failed_sample_and_goes_on():
    codes = [JAVA, None, "", b"\xff\xfe"]
    result = extract_many(codes, "java", progress=False, num_workers=1)  # type: ignore[arg-type]
    assert result.num_failed == 1 and result.num_extracted == 4
    failed = result.graphs[1]
    assert failed.num_nodes == 0 and "extraction failed: TypeError" in failed.warnings[0]
    assert result.num_with_warnings == 3  # the failure, the empty input and the undecodable bytes
    assert result.graphs[0].warnings == []
    assert "4 graphs" in result.summary() and "1 failed" in result.summary()


def test_to_pyg_shapes_and_edge_types():
    graph = extract(JAVA, "java")
    data = graph.to_pyg()
    counts = graph.edge_counts()
    assert data.num_nodes == graph.num_nodes == len(data.node_kind) == len(data.node_text)
    assert data.edge_index.shape == (2, len(graph.edges)) and data.edge_index.dtype == torch.long
    assert data.edge_type.shape == (len(graph.edges),) and data.edge_type.dtype == torch.long
    for edge_type in EdgeType:  # JAVA calls nothing: no CALL or ARGUMENT edges
        assert int((data.edge_type == int(edge_type)).sum()) == counts[edge_type.name]
        assert (counts[edge_type.name] > 0) == (edge_type not in (EdgeType.CALL, EdgeType.ARGUMENT))
    assert int(data.edge_index.max()) < data.num_nodes
    assert data.node_kind[0] == "method_declaration" and data.node_text[0] == JAVA
    lazy = decode(encode(graph))  # a cached graph converts without building Node objects, to the same tensors
    lazy_data = lazy.to_pyg()
    assert "_columns" in lazy.__dict__
    assert torch.equal(lazy_data.edge_index, data.edge_index) and torch.equal(lazy_data.edge_type, data.edge_type)
    assert lazy_data.node_kind == data.node_kind and lazy_data.node_text == data.node_text
    one = decode(encode(extract("x", "python")))
    assert one.to_pyg().edge_index.shape == (2, len(one.edges)) and one.to_pyg().num_nodes == one.num_nodes
    no_edges = decode(encode(CodePropertyGraph("java", "treesitter", [graph.nodes[0]], [])))
    assert no_edges.to_pyg().edge_index.shape == (2, 0) and no_edges.to_pyg().edge_type.shape == (0,)
    empty = extract("", "java").to_pyg()
    assert empty.edge_index.shape == (2, 0) and empty.num_nodes == 0


def test_networkx_and_dict_round_trip():
    graph = extract(JAVA, "java")
    nx_graph = graph.to_networkx()
    assert nx_graph.number_of_nodes() == graph.num_nodes and nx_graph.number_of_edges() == len(graph.edges)
    data = json.loads(json.dumps(graph.to_dict()))
    assert set(data["edges"][0]) == {"src", "dst", "type"} and set(data["nodes"][0]) >= {"kind", "text", "start", "end"}
    assert {e.get("var") for e in data["edges"] if e["type"] == "DDG"} == {"x", "y"}
    assert {e.get("label") for e in data["edges"] if e["type"] == "CFG"} == {"next", "true", "false", "return"}
    assert CodePropertyGraph.from_dict(data) == graph
    assert ("int y = x * 2;", "if (y > 3) { y = 3; }") in edge_texts(graph, EdgeType.DDG)
    assert norm(graph.nodes[0].text) == JAVA
