"""The real Joern backend, run where Joern is installed (CI installs the pinned one: `transducer joern install`):
graphs of Java, C and Python snippets, one JVM run per batch, broken input as a counted warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cpg import extract_many
from cpg.graph import EdgeType
from cpg.joern import JoernNotFoundError, find_joern
from cpg.joern_install import DEFAULT_HOME, LAUNCHERS, install, recipe_digest


def _joern_installed() -> bool:
    try:
        find_joern()
    except JoernNotFoundError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _joern_installed(), reason="Joern is not installed (`transducer joern install`)")

SNIPPETS = {
    "java": ["int f(int a) { int b = a + 1; if (b > 2) { return b; } return 0; }",
             "int g(int[] xs) { int s = 0; for (int x : xs) { s += x; } return s; }"],
    "c": ["int f(int a) { int b = a + 1; if (b > 2) { return b; } return 0; }",
          "int g(int n) { int s = 0; while (n > 0) { s += n; n--; } return s; }"],
    "python": ["def f(a):\n    b = a + 1\n    if b > 2:\n        return b\n    return 0\n",
               "def g(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n"],
}


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_real_joern_graphs_for_each_jvm_frontend(language: str, tmp_path: Path) -> None:
    result = extract_many(SNIPPETS[language], language, "joern", cache_dir=tmp_path, progress=False)
    assert result.num_failed == 0 and result.num_extracted == 2
    for graph, code in zip(result.graphs, SNIPPETS[language]):
        assert graph.backend == "joern" and graph.num_nodes > 10 and graph.warnings == []
        counts = graph.edge_counts()
        assert counts["AST"] == graph.num_nodes - 1  # one tree
        assert counts["CFG"] > 0 and counts["DDG"] > 0 and counts["CDG"] > 0
        assert graph.nodes[0].kind == "METHOD"
        if language != "python":  # pysrc2cpg gives its METHOD nodes no code text
            assert graph.nodes[0].text.split("(")[0].split()[-1] in code
        variables = {e.label for e in graph.edges_of(EdgeType.DDG)}
        assert "s" in variables or "b" in variables  # reaching definitions by variable


def test_real_joern_turns_broken_code_into_a_counted_warning_not_a_crash(tmp_path: Path) -> None:
    codes = ["int f(int a) { return a + ; }", "int g(int a) { return a * 2; }"]
    result = extract_many(codes, "java", "joern", cache_dir=tmp_path, progress=False)
    assert result.num_extracted == 2 and len(result.graphs) == 2
    assert result.graphs[1].num_nodes > 3  # the good snippet of the batch keeps its graph
    broken = result.graphs[0]  # Joern recovers silently; the source's syntax error flags its graph
    assert broken.num_nodes > 0 and "syntax errors" in broken.warnings[0] and result.graphs[1].warnings == []
    assert result.num_with_warnings == 1 and result.num_failed == 0


@pytest.mark.skipif(shutil.which("mvn") is None, reason="needs Maven")
def test_installing_again_is_a_no_op(capsys: pytest.CaptureFixture[str]) -> None:
    if not (DEFAULT_HOME / "recipe.sha256").is_file():
        pytest.skip("Joern here is not the pinned recipe's")
    lines: list[str] = []
    assert install(DEFAULT_HOME, log=lines.append) == DEFAULT_HOME
    assert lines == [f"joern: already installed in {DEFAULT_HOME}"]
    assert (DEFAULT_HOME / "recipe.sha256").read_text().strip() == recipe_digest()
    assert all((DEFAULT_HOME / name).is_file() for name in LAUNCHERS) and (DEFAULT_HOME / ".installation_root").is_file()
