"""Joern backend: GraphML export parsing, batched orchestration (fake joern-parse/joern-export), missing Joern.

Fixture ``fixtures/joern_export.xml`` is a hand-made export in the format ``joern-export --repr all --format
graphml`` writes (flatgraph's GraphMLExporter): ``<key>`` elements name the data keys (``labelV`` node label,
``labelE`` edge label, ``node__<LABEL>__<PROPERTY>`` with ``attr.name=<PROPERTY>``), then one ``<node id>`` per
CPG node and one ``<edge source target>`` per edge. It holds two snippets as Joern's javasrc frontend sees them
when each is wrapped in the wrapper class (so the method sits on line 2):

- ``snippet_0.java``: ``int inc(int x) { int y = x + 1; return y; }`` — METHOD 10 with 12 AST nodes, 8 CFG edges,
  4 REACHING_DEF edges, 4 ARGUMENT edges, CONTAINS edges (dropped), plus the wrapper's TYPE_DECL and synthetic ``<init>``
  (line 1) and an external ``<operator>.assignment`` METHOD, all of which must be left out;
- ``snippet_1.java``: ``void f(boolean c) { if (c) { g(); } }`` — METHOD 60 with 8 AST nodes, a CDG edge.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cpg import EdgeType, JoernError, JoernNotFoundError, extract, extract_many
from cpg.cli import main
from cpg.joern import INSTALL_HINT, find_joern, parse_graphml

FIXTURE = Path(__file__).parent / "fixtures" / "joern_export.xml"
SNIPPETS = [
    "int inc(int x) { int y = x + 1; return y; }",
    "void f(boolean c) { if (c) { g(); } }",
    "void unparsed() { }",  # not in the fixture: Joern "produced no method" for it
]

FAKE_PARSE = """#!/usr/bin/env bash
echo "joern-parse $*" >> "$FAKE_JOERN_LOG"
if [ -n "$FAKE_JOERN_FAIL" ]; then echo "java.lang.OutOfMemoryError: Java heap space" >&2; exit 3; fi
if [ -n "$FAKE_JOERN_HANG" ]; then sleep 30; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --output|-o) out="$2"; shift 2;;
    --language) shift 2;;
    *) input="$1"; shift;;
  esac
done
ls "$input" >> "$FAKE_JOERN_LOG"
head -n 1 "$input/snippet_0.java" >> "$FAKE_JOERN_LOG"
echo fake-cpg > "$out"
"""
FAKE_EXPORT = """#!/usr/bin/env bash
echo "joern-export $*" >> "$FAKE_JOERN_LOG"
while [ $# -gt 0 ]; do
  case "$1" in
    --out|-o) out="$2"; shift 2;;
    --repr|--format) shift 2;;
    *) shift;;
  esac
done
mkdir -p "$out"
cp "$FAKE_JOERN_FIXTURE" "$out/export.xml"
"""


def _install_fake_joern(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, script in (("joern-parse", FAKE_PARSE), ("joern-export", FAKE_EXPORT)):
        tool = folder / name
        tool.write_text(script)
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def fake_joern(tmp_path, monkeypatch):
    """Fake Joern tools first on PATH; returns the log file they append their invocations to."""
    _install_fake_joern(tmp_path / "bin")
    log = tmp_path / "joern.log"
    monkeypatch.delenv("JOERN_HOME", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_JOERN_LOG", str(log))
    monkeypatch.setenv("FAKE_JOERN_FIXTURE", str(FIXTURE))
    return log


def test_parse_graphml_fixture_maps_methods_back_to_snippets():
    export = parse_graphml(FIXTURE)
    inc = export.snippet_graph(0, "java", line_offset=1, max_nodes=100, max_text_chars=100)
    assert inc.backend == "joern" and inc.warnings == [] and not inc.truncated
    assert [n.kind for n in inc.nodes[:4]] == ["METHOD", "METHOD_PARAMETER_IN", "BLOCK", "METHOD_RETURN"]
    assert inc.num_nodes == 12  # METHOD 10's AST; no TYPE_DECL, <init> or external method
    assert inc.nodes[0].text == "int inc(int x)" and inc.nodes[0].start == (0, 1) and inc.nodes[0].end == (0, 45)
    assert inc.edge_counts() == {"AST": 11, "CFG": 8, "DDG": 4, "CDG": 0, "CALL": 0, "ARGUMENT": 4}
    texts = [n.text for n in inc.nodes]
    ddg = {(texts[e.src], texts[e.dst], e.label) for e in inc.edges_of(EdgeType.DDG)}  # REACHING_DEF + VARIABLE
    assert ddg == {("int x", "x", "x"), ("int x", "x + 1", "x"), ("y = x + 1", "y", "y"), ("return y;", "int", "<RET>")}
    arguments = {(texts[e.src], texts[e.dst]) for e in inc.edges_of(EdgeType.ARGUMENT)}
    assert arguments == {("y = x + 1", "y"), ("y = x + 1", "x + 1"), ("x + 1", "x"), ("x + 1", "1")}
    cfg = {(texts[e.src], texts[e.dst]) for e in inc.edges_of(EdgeType.CFG)}
    assert ("x + 1", "y = x + 1") in cfg and ("return y;", "int") in cfg
    ast_parents = {e.dst for e in inc.edges_of(EdgeType.AST)}
    assert set(range(1, inc.num_nodes)) == ast_parents  # one tree rooted at the METHOD node
    branch = export.snippet_graph(1, "java", line_offset=1, max_nodes=100, max_text_chars=100)
    assert branch.num_nodes == 8 and branch.edge_counts()["CDG"] == 1
    cdg = branch.edges_of(EdgeType.CDG)[0]
    assert (branch.nodes[cdg.src].text, branch.nodes[cdg.dst].text) == ("c", "g()")
    small = export.snippet_graph(0, "java", line_offset=1, max_nodes=5, max_text_chars=3)
    assert small.truncated and small.num_nodes == 5 and any("truncated" in w for w in small.warnings)
    assert small.nodes[0].text == "int" and all(e.src < 5 and e.dst < 5 for e in small.edges)
    # as with tree-sitter, truncation drops the nodes off the flow first: every CFG/DDG edge stays while it can
    flow_nodes = {end for e in inc.edges if e.type in (EdgeType.CFG, EdgeType.DDG) for end in (e.src, e.dst)}
    cut = export.snippet_graph(0, "java", line_offset=1, max_nodes=len(flow_nodes) + 1, max_text_chars=100)
    assert cut.truncated and "every statement and flow edge kept" in cut.warnings[-1]

    def flow(graph):
        names = [n.text for n in graph.nodes]
        return {(names[e.src], names[e.dst], e.type, e.label) for e in graph.edges if e.type in (EdgeType.CFG, EdgeType.DDG)}

    assert flow(cut) == flow(inc)
    missing = export.snippet_graph(2, "java", line_offset=1, max_nodes=100, max_text_chars=100)
    assert missing.num_nodes == 0 and "no method" in missing.warnings[0]


def test_batch_runs_each_joern_tool_once_for_many_snippets(fake_joern, tmp_path):
    result = extract_many(SNIPPETS, "java", "joern", cache_dir=tmp_path / "cache", progress=False)
    calls = [line for line in fake_joern.read_text().splitlines() if line.startswith("joern-")]
    assert len(calls) == 2
    assert calls[0].startswith("joern-parse ") and "--language javasrc" in calls[0]
    assert calls[1].startswith("joern-export ") and "--repr all --format graphml" in calls[1]
    log = fake_joern.read_text()
    assert all(f"snippet_{i}.java" in log for i in range(3))
    assert "class __CpgWrapper__ {" in log  # bare methods are wrapped for Joern too
    assert result.num_extracted == 3 and result.num_failed == 0 and result.num_with_warnings == 1
    inc, branch, missing = result.graphs
    assert inc.nodes[0].text == "int inc(int x)" and inc.edge_counts()["DDG"] == 4
    assert branch.nodes[0].text == "void f(boolean c)" and missing.num_nodes == 0
    again = extract_many(SNIPPETS, "java", "joern", cache_dir=tmp_path / "cache", progress=False)
    assert again.num_cache_hits == 3 and again.graphs == result.graphs
    assert len([line for line in fake_joern.read_text().splitlines() if line.startswith("joern-")]) == 2


def test_a_failing_joern_run_is_counted_not_raised(fake_joern, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_JOERN_FAIL", "1")
    result = extract_many(SNIPPETS, "java", "joern", cache_dir=tmp_path / "cache", progress=False)
    assert result.num_failed == 3 and result.num_extracted == 3 and not list((tmp_path / "cache").rglob("*.pack"))
    assert all("joern-parse failed with exit code 3" in g.warnings[0] and "OutOfMemoryError" in g.warnings[0]
               for g in result.graphs)
    with pytest.raises(JoernError, match="exit code 3"):
        extract(SNIPPETS[0], "java", backend="joern")  # a single call reports the error


def test_a_joern_run_that_hangs_times_out_into_counted_failures(fake_joern, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_JOERN_HANG", "1")
    monkeypatch.setenv("TRANSDUCER_JOERN_TIMEOUT_S", "0.5")
    result = extract_many(SNIPPETS, "java", "joern", cache_dir=tmp_path / "cache", progress=False)
    assert result.num_failed == 3 and all("timed out after 0.5 s" in g.warnings[0] for g in result.graphs)


def test_single_extract_and_joern_home(tmp_path, monkeypatch):
    _install_fake_joern(tmp_path / "joern" / "joern-cli")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no Joern on PATH; JOERN_HOME points at the install
    monkeypatch.setenv("JOERN_HOME", str(tmp_path / "joern"))
    monkeypatch.setenv("FAKE_JOERN_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("FAKE_JOERN_FIXTURE", str(FIXTURE))
    assert find_joern()[0] == str(tmp_path / "joern" / "joern-cli" / "joern-parse")
    graph = extract(SNIPPETS[0], "java", backend="joern")
    assert graph.backend == "joern" and graph.num_nodes == 12


def test_missing_joern_gives_install_instructions(tmp_path, monkeypatch, capsys):
    import cpg.joern

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JOERN_HOME", raising=False)
    monkeypatch.setattr(cpg.joern, "DEFAULT_HOME", tmp_path / "no-joern-here")
    with pytest.raises(JoernNotFoundError, match="transducer joern install") as error:
        extract("int f() { return 1; }", "java", backend="joern")
    assert "JOERN_HOME" in str(error.value) and "--backend treesitter" in str(error.value)
    with pytest.raises(JoernNotFoundError):
        extract_many(["int f() { return 1; }"], "java", "joern", progress=False)
    source = tmp_path / "A.java"
    source.write_text("class A { int f() { return 1; } }")
    with pytest.raises(SystemExit) as exit_info:
        main([str(source), "--backend", "joern"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert INSTALL_HINT in err and "Traceback" not in err


def test_joern_call_edges_to_a_method_of_the_snippet_are_kept(tmp_path):
    """``f(n)`` inside ``int f(int n)``: Joern's CALL edge (call -> METHOD) and ARGUMENT edge map to ours."""
    keys = "".join(f'<key id="{k}" for="{f}" attr.name="{k}"/>' for k, f in
                   (("labelV", "node"), ("labelE", "edge"), ("FILENAME", "node"), ("LINE_NUMBER", "node"), ("CODE", "node")))
    nodes = "".join(
        f'<node id="{i}"><data key="labelV">{label}</data><data key="FILENAME">{name}</data>'
        f'<data key="LINE_NUMBER">2</data><data key="CODE">{code}</data></node>'
        for i, label, name, code in ((1, "METHOD", "snippet_0.java", "int f(int n)"), (2, "CALL", "", "f(n)"),
                                     (3, "IDENTIFIER", "", "n"), (4, "METHOD", "", "g"))
    )
    edges = "".join(f'<edge source="{s}" target="{d}"><data key="labelE">{t}</data></edge>'
                    for s, d, t in ((1, 2, "AST"), (2, 3, "AST"), (2, 3, "ARGUMENT"), (2, 1, "CALL"), (2, 4, "CALL")))
    path = tmp_path / "export.xml"
    path.write_text(f'<graphml xmlns="http://graphml.graphdrawing.org/xmlns">{keys}<graph>{nodes}{edges}</graph></graphml>')
    graph = parse_graphml(path).snippet_graph(0, "java", line_offset=1, max_nodes=100, max_text_chars=100)
    texts = [n.text for n in graph.nodes]
    assert {(texts[e.src], texts[e.dst], e.type.name) for e in graph.edges if e.type != EdgeType.AST} == {
        ("f(n)", "n", "ARGUMENT"), ("f(n)", "int f(int n)", "CALL")  # the call of g (not in the snippet) is dropped
    }


def test_every_tree_sitter_language_has_a_joern_frontend():
    from cpg.joern import FRONTENDS
    from cpg.languages import SUPPORTED_LANGUAGES

    assert set(FRONTENDS) == set(SUPPORTED_LANGUAGES)



def test_joern_4_exports_the_reaching_definition_variable_as_the_edge_property(tmp_path):
    """Joern 4's GraphML names REACHING_DEF's one property ``property`` (Joern 2: ``VARIABLE``); both label the DDG."""
    export = tmp_path / "export.xml"
    export.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="labelV" for="node" attr.name="labelV" attr.type="string"/>
  <key id="labelE" for="edge" attr.name="labelE" attr.type="string"/>
  <key id="edge__REACHING_DEF__property" for="edge" attr.name="property" attr.type="string"/>
  <graph id="G" edgedefault="directed">
    <node id="1"><data key="labelV">IDENTIFIER</data></node>
    <node id="2"><data key="labelV">IDENTIFIER</data></node>
    <edge source="1" target="2"><data key="labelE">REACHING_DEF</data><data key="edge__REACHING_DEF__property">b</data></edge>
    <edge source="1" target="2"><data key="labelE">CFG</data></edge>
  </graph>
</graphml>
""")
    assert parse_graphml(export).edges == [("1", "2", EdgeType.DDG, "b"), ("1", "2", EdgeType.CFG, "")]
