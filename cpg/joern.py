"""The Joern backend: many snippets per JVM run, GraphML export mapped back to one graph per snippet.

One batch = one temporary folder with each snippet written as ``snippet_<i>.<ext>`` (bare Java/C# methods inside
the same wrapper class as the tree-sitter backend uses), then exactly one
``joern-parse <folder> --language <frontend> --output cpg.bin`` and one
``joern-export cpg.bin --repr all --format graphml --out <dir>``. The export is one GraphML file (Joern's
flatgraph/overflowdb ``GraphMLExporter``: node label in data key ``labelV``, edge label in ``labelE``, node
properties such as ``CODE``/``LINE_NUMBER``/``FILENAME`` in keys named by ``<key attr.name=...>``).

A snippet's graph is the union of the AST subtrees of its ``METHOD`` nodes (``FILENAME`` names the snippet file;
external methods and the wrapper class's synthetic ones are left out), nodes in breadth-first AST order. Node
``kind`` is the Joern label (``METHOD``, ``CALL``, ``IDENTIFIER``...), ``text`` its ``CODE`` (cut to
``max_text_chars``), spans from ``LINE_NUMBER``/``COLUMN_NUMBER`` (lines made 0-based and relative to the
snippet; columns as the frontend reports them; the end is the start when Joern records no end). Edges kept:
``AST``, ``CFG``, ``REACHING_DEF`` (as DDG, labelled with its ``VARIABLE``, the edge's ``property`` in Joern 4), ``CDG``, ``CALL`` (a call to a method
of the same snippet) and ``ARGUMENT``; Joern's other edges (CONTAINS, REF, EVAL_TYPE...) are dropped. Joern's CFG
edges carry no labels.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cpg.graph import CodePropertyGraph, Edge, EdgeType, Node
from cpg.joern_install import DEFAULT_HOME
from cpg.languages import LanguageSpec
from cpg.syntax import parse
from cpg.truncation import truncate

INSTALL_HINT = (
    "Joern is not installed: no joern-parse/joern-export under $JOERN_HOME, on PATH, or in "
    f"{DEFAULT_HOME}. Install the pinned Joern from Maven Central with `transducer joern install` (needs a JDK "
    "and Maven), or Joern's release (https://docs.joern.io/installation) and put its joern-cli folder on PATH or "
    "set JOERN_HOME to it. Or use the in-process backend: --backend treesitter (backend='treesitter')."
)

#: seconds one joern-parse or joern-export run may take (``$TRANSDUCER_JOERN_TIMEOUT_S``); a batch that takes longer
#: fails as a whole, counted per graph
DEFAULT_TIMEOUT_S = 900
#: Joern frontend name (``joern-parse --language``) per language
FRONTENDS = {
    "java": "javasrc", "c_sharp": "csharpsrc", "python": "pythonsrc", "javascript": "jssrc", "typescript": "jssrc",
    "tsx": "jssrc", "go": "golang", "c": "newc", "cpp": "newc", "php": "php", "ruby": "rubysrc",
}  # fmt: skip
EDGE_TYPES = {"AST": EdgeType.AST, "CFG": EdgeType.CFG, "REACHING_DEF": EdgeType.DDG, "CDG": EdgeType.CDG,
              "CALL": EdgeType.CALL, "ARGUMENT": EdgeType.ARGUMENT}  # fmt: skip
_SNIPPET_FILE = re.compile(r"snippet_(\d+)\.\w+$")


class JoernNotFoundError(RuntimeError):
    """Raised when the Joern backend is asked for but Joern is not installed."""


class JoernError(RuntimeError):
    """Raised when ``joern-parse`` or ``joern-export`` fails."""


def find_joern() -> tuple[str, str]:
    """Paths of ``joern-parse`` and ``joern-export``: ``$JOERN_HOME`` (or its ``joern-cli``), else PATH, else the
    folder ``transducer joern install`` installs into (:data:`cpg.joern_install.DEFAULT_HOME`)."""
    home = os.environ.get("JOERN_HOME")
    if home:
        found = _tools_in(Path(home)) or _tools_in(Path(home) / "joern-cli")
        if found:
            return found
    parse_tool, export_tool = shutil.which("joern-parse"), shutil.which("joern-export")
    if parse_tool and export_tool:
        return parse_tool, export_tool
    found = _tools_in(DEFAULT_HOME)
    if found:
        return found
    raise JoernNotFoundError(INSTALL_HINT)


def _tools_in(folder: Path) -> tuple[str, str] | None:
    tools = [folder / "joern-parse", folder / "joern-export"]
    if all(tool.is_file() and os.access(tool, os.X_OK) for tool in tools):
        return str(tools[0]), str(tools[1])
    return None


def extract_joern(codes: list[str], spec: LanguageSpec, max_nodes: int, max_text_chars: int) -> list[CodePropertyGraph]:
    """One graph per code from a single ``joern-parse`` + ``joern-export`` run."""
    if spec.name not in FRONTENDS:
        raise ValueError(f"the Joern backend has no frontend for {spec.name!r}; supported: {', '.join(FRONTENDS)}")
    parse_tool, export_tool = find_joern()
    extension = spec.extensions[0]
    with tempfile.TemporaryDirectory(prefix="cpg-joern-") as temporary:
        folder = Path(temporary)
        sources = folder / "src"
        sources.mkdir()
        line_offsets, syntax_errors = [], []
        for index, code in enumerate(codes):
            parsed = parse(code.encode("utf-8"), spec)
            (sources / f"snippet_{index}{extension}").write_bytes(parsed.source)
            line_offsets.append(parsed.line_offset)
            syntax_errors.append(parsed.tree.root_node.has_error)
        cpg_file = folder / "cpg.bin"
        export_dir = folder / "export"
        _run([parse_tool, str(sources), "--language", FRONTENDS[spec.name], "--output", str(cpg_file)])
        _run([export_tool, str(cpg_file), "--repr", "all", "--format", "graphml", "--out", str(export_dir)])
        exports = sorted(export_dir.rglob("*.xml"))
        if not exports:
            raise JoernError(f"joern-export wrote no GraphML file under {export_dir}")
        export = parse_graphml(exports[0])
    graphs = [export.snippet_graph(index, spec.name, line_offsets[index], max_nodes, max_text_chars)
              for index in range(len(codes))]
    for graph, has_error in zip(graphs, syntax_errors):
        if has_error:  # Joern recovers from syntax errors silently; the graph is flagged as tree-sitter's would be
            graph.warnings.append(f"the {spec.name} source has syntax errors (tree-sitter): Joern's graph of it may "
                                  "be partial")
    return graphs


def _run(command: list[str]) -> None:
    timeout = float(os.environ.get("TRANSDUCER_JOERN_TIMEOUT_S", DEFAULT_TIMEOUT_S))
    try:
        completed = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False,
                                   timeout=timeout)
    except subprocess.TimeoutExpired:
        raise JoernError(f"{Path(command[0]).name} timed out after {timeout:g} s (set TRANSDUCER_JOERN_TIMEOUT_S to "
                         "allow more)") from None
    if completed.returncode != 0:
        tail = (completed.stdout + completed.stderr).strip()[-2000:]
        raise JoernError(f"{Path(command[0]).name} failed with exit code {completed.returncode}:\n{tail}")


@dataclass
class JoernExport:
    """A parsed GraphML export: node labels and properties by id, and the kept edges."""

    labels: dict[str, str] = field(default_factory=dict)
    properties: dict[str, dict[str, str]] = field(default_factory=dict)
    #: (source id, target id, type, label: a REACHING_DEF edge's VARIABLE, else "")
    edges: list[tuple[str, str, EdgeType, str]] = field(default_factory=list)

    @cached_property
    def _out_edges(self) -> dict[str, list[tuple[str, EdgeType, str]]]:
        out: dict[str, list[tuple[str, EdgeType, str]]] = defaultdict(list)
        for src, dst, edge_type, label in dict.fromkeys(self.edges):
            out[src].append((dst, edge_type, label))
        return out

    @cached_property
    def _methods_by_file(self) -> dict[int, list[str]]:
        """METHOD node ids per snippet index (from the ``FILENAME`` property), external methods left out."""
        methods: dict[int, list[str]] = defaultdict(list)
        for node, label in self.labels.items():
            properties = self.properties[node]
            if label != "METHOD" or properties.get("IS_EXTERNAL") == "true":
                continue
            match = _SNIPPET_FILE.search(properties.get("FILENAME", "").replace("\\", "/"))
            if match is not None:
                methods[int(match.group(1))].append(node)
        return methods

    def snippet_graph(
        self, index: int, language: str, line_offset: int, max_nodes: int, max_text_chars: int
    ) -> CodePropertyGraph:
        """The graph of ``snippet_<index>.*`` (empty with a warning when Joern produced no method for it)."""
        roots = sorted(
            (
                node
                for node in self._methods_by_file.get(index, ())
                # no line: synthetic; a line inside the wrapper's first line: the wrapper class's own method
                if _int(self.properties[node].get("LINE_NUMBER"), 0) > line_offset
            ),
            key=lambda node: (_int(self.properties[node].get("LINE_NUMBER")), _int(node)),
        )
        out_edges = self._out_edges
        order: list[str] = []
        seen: set[str] = set()
        for root in roots:
            queue = [root]
            for node in queue:  # breadth-first over AST edges; the list grows while iterating
                if node not in seen:
                    seen.add(node)
                    order.append(node)
                    queue.extend(dst for dst, edge_type, _ in out_edges.get(node, ()) if edge_type is EdgeType.AST)
        warnings = []
        if not order:
            warnings.append("Joern produced no method for this snippet (syntax errors or no code inside a method)")
        position = {node: k for k, node in enumerate(order)}
        nodes = [self._node(node, line_offset, max_text_chars) for node in order]
        edges = [
            Edge(position[src], position[dst], edge_type, label)
            for src in order
            for dst, edge_type, label in out_edges.get(src, ())
            if dst in position
        ]
        edges.sort(key=lambda edge: edge.type)
        return truncate(CodePropertyGraph(language, "joern", nodes, edges, warnings, False), max_nodes)

    def _node(self, node: str, line_offset: int, max_text_chars: int) -> Node:
        properties = self.properties[node]
        first_line = line_offset + 1  # nodes without a line number (some synthetic ones) go to the first line
        line = max(_int(properties.get("LINE_NUMBER"), first_line), first_line)
        column = _int(properties.get("COLUMN_NUMBER"))
        end_line = max(_int(properties.get("LINE_NUMBER_END"), line), line)
        end_column = _int(properties.get("COLUMN_NUMBER_END"), column)
        text = properties.get("CODE", "")[:max_text_chars]
        return Node(self.labels[node], text, (line - first_line, column), (end_line - first_line, end_column))


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def parse_graphml(path: str | Path) -> JoernExport:
    """Read a Joern GraphML export (streamed with ``iterparse``; namespaces ignored)."""
    export = JoernExport()
    key_names: dict[str, str] = {}
    for _, element in ElementTree.iterparse(str(path), events=("end",)):
        tag = element.tag.rpartition("}")[2]
        if tag == "key":
            key_names[element.get("id", "")] = element.get("attr.name", element.get("id", ""))
        elif tag == "node":
            data = _data(element, key_names)
            node = element.get("id", "")
            export.labels[node] = data.pop("labelV", "UNKNOWN")
            export.properties[node] = data
            element.clear()
        elif tag == "edge":
            data = _data(element, key_names)
            edge_type = EDGE_TYPES.get(data.get("labelE", ""))
            if edge_type is not None:
                # the defined variable: VARIABLE in Joern 2's export, the edge's one "property" in Joern 4's
                label = data.get("VARIABLE", data.get("property", "")) if edge_type is EdgeType.DDG else ""
                export.edges.append((element.get("source", ""), element.get("target", ""), edge_type, label))
            element.clear()
    return export


def _data(element: ElementTree.Element, key_names: dict[str, str]) -> dict[str, str]:
    return {
        key_names.get(child.get("key", ""), child.get("key", "")): child.text or ""
        for child in element
        if child.tag.rpartition("}")[2] == "data"
    }
