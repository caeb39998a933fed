"""The gold suite's format: whole expected CFG/DDG/CDG edge sets of small programs, written by hand in JSON.

``tests/cpg/gold/<language>.json`` holds ``{"language": ..., "programs": [...]}``; each program is::

    {"name": "loop_with_continue",
     "code": ["int f(int n) {", "  ...", "}"],          # one string per line
     "cfg": [["ENTRY", "int s = 0;", "next"], ...],    # [source, target, label] (cpg.CFG_LABELS)
     "ddg": [["int s = 0;", "return s;", "s"], ...],   # [source, target, variable]
     "cdg": [["if (i % 2 == 0) continue;", "continue;"], ...],
     "notes": ["why an edge is there or not, where a choice was made"]}

A node reference is the node's source text with whitespace collapsed (``"return s;"``), or a prefix of it ending
in ``...`` (``"for (int i = 0; ..."``), optionally followed by ``@L``: the node starts on line ``L`` of the code
(1-based), for statements that occur twice. ``ENTRY`` is the outermost function (or module) node (the first
function where the file node has no flow: Ruby, C, C++), ``EXIT`` its exit; ``EXIT@L`` is the exit of a function that ends on line ``L`` (a nested lambda's). When a text matches several
nested nodes (an expression statement and its expression), the one with flow edges counts. References are resolved
by :class:`cpg.node_references.NodeReferences` (shared with ``benchmarks/cpg_joern_parity.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cpg import extract
from cpg.graph import EdgeType
from cpg.node_references import NodeReferences as _References

GOLD_DIR = Path(__file__).parent / "gold"
FLOW_TYPES = {"cfg": EdgeType.CFG, "ddg": EdgeType.DDG, "cdg": EdgeType.CDG}
#: node texts are compared whole
MAX_TEXT_CHARS = 1 << 20


@dataclass(frozen=True)
class GoldProgram:
    language: str
    name: str
    code: str
    edges: dict[str, list[list[str]]]  #: "cfg"/"ddg"/"cdg" -> the expected edges as written


def load_gold(language: str) -> list[GoldProgram]:
    data = json.loads((GOLD_DIR / f"{language}.json").read_text(encoding="utf-8"))
    assert data["language"] == language
    return [GoldProgram(language, p["name"], "\n".join(p["code"]), {k: p.get(k, []) for k in FLOW_TYPES})
            for p in data["programs"]]


def dump_gold(language: str, programs: list[dict]) -> str:
    """The JSON text of a gold file in the suite's layout: one code line and one edge per line."""

    def items(values: list, indent: int) -> str:
        return "[" + (",\n" + " " * indent).join(json.dumps(v, ensure_ascii=False) for v in values) + "]"

    blocks = []
    for program in programs:
        fields = [f'"name": {json.dumps(program["name"])}', f'"code": {items(program["code"], 12)}']
        fields += [f'"{key}": {items(program.get(key, []), len(key) + 7)}' for key in (*FLOW_TYPES, "notes")]
        blocks.append("  {" + ",\n   ".join(fields) + "}")
    return f'{{"language": "{language}",\n "programs": [\n' + ",\n".join(blocks) + "\n ]}\n"


def gold_languages() -> list[str]:
    return sorted(path.stem for path in GOLD_DIR.glob("*.json"))


def check_gold(program: GoldProgram) -> None:
    """Assert that the extractor's CFG, DDG and CDG of ``program`` are exactly its gold edge sets."""
    graph = extract(program.code, program.language, max_text_chars=MAX_TEXT_CHARS)
    assert not graph.warnings, f"{program.name}: {graph.warnings}"
    references = _References(graph)
    problems = []
    for key, edge_type in FLOW_TYPES.items():
        expected = set()
        for edge in program.edges[key]:
            label = edge[2] if key != "cdg" else None
            expected.add((references.resolve(edge[0]), references.resolve(edge[1]), label))
        actual = {(e.src, e.dst, e.label if key != "cdg" else None) for e in graph.edges if e.type == edge_type}

        def show(edges: set) -> list[str]:
            return sorted(f"{references.name(s)} -> {references.name(d)}" + (f" [{label}]" if label else "")
                          for s, d, label in edges)

        if expected != actual:
            problems.append(f"{key.upper()}: missing {show(expected - actual)}; unexpected {show(actual - expected)}")
    assert not problems, f"{program.language} gold program {program.name!r}:\n" + "\n".join(problems)
