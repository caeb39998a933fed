"""Graphviz DOT text of a :class:`~cpg.graph.CodePropertyGraph` (edges colored by type) and image rendering."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cpg.graph import CodePropertyGraph, EdgeType

EDGE_COLORS = {EdgeType.AST: "gray50", EdgeType.CFG: "blue", EdgeType.DDG: "red", EdgeType.CDG: "darkgreen",
               EdgeType.CALL: "purple", EdgeType.ARGUMENT: "orange"}  # fmt: skip
_LABEL_CHARS = 40


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: CodePropertyGraph) -> str:
    """DOT source: one box per node (kind, line, text), edges colored by type and labeled by type and label
    (``CFG true``, ``DDG x``)."""
    lines = [
        "digraph cpg {",
        "  node [shape=box, fontname=monospace, fontsize=10];",
        "  edge [fontsize=8];",
    ]
    for index, node in enumerate(graph.nodes):
        text = " ".join(node.text.split())
        if len(text) > _LABEL_CHARS:
            text = text[: _LABEL_CHARS - 3] + "..."
        label = f"{node.kind} (line {node.start[0] + 1})" + (f"\n{text}" if text else "")
        lines.append(f"  n{index} [label={_quote(label)}];")
    for edge in graph.edges:
        color = EDGE_COLORS[edge.type]
        style = "" if edge.type is not EdgeType.AST else ", style=dashed"
        label = _quote(f"{edge.type.name} {edge.label}".strip())
        attributes = f"color={color}, fontcolor={color}, label={label}{style}"
        lines.append(f"  n{edge.src} -> n{edge.dst} [{attributes}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_source: str, output: Path) -> None:
    """Render DOT to an image with the ``dot`` binary; the format is the output suffix (png, svg, pdf...)."""
    binary = shutil.which("dot")
    if binary is None:
        raise RuntimeError(
            f"cannot render {output.name}: the Graphviz `dot` program is not installed (e.g. `apt-get install "
            "graphviz` or `brew install graphviz`); write DOT text instead with --output x.dot"
        )
    fmt = output.suffix.lstrip(".").lower()
    completed = subprocess.run(
        [binary, f"-T{fmt}", "-o", str(output)], input=dot_source, text=True, capture_output=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dot failed to render {output}: {completed.stderr.strip()}")
