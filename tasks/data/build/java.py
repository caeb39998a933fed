"""Java methods, comments, calls and tokens from tree-sitter (the parser the CPG extractor uses)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from cpg.languages import get_spec
from cpg.syntax import parser_for

#: leaves that are one token even though tree-sitter gives them children (quotes, fragments, escapes)
ATOMIC_TOKENS = frozenset({"string_literal", "character_literal", "text_block"})
COMMENTS = frozenset({"line_comment", "block_comment"})
METHOD_KINDS = frozenset({"method_declaration", "constructor_declaration"})
TYPE_KINDS = frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"})


@dataclass(frozen=True)
class JavaMethod:
    """A method or constructor of a parsed file; ``text`` is its declaration (annotations and modifiers included,
    Javadoc excluded), dedented to its own first column."""

    node: Node
    name: str
    class_name: str | None
    text: str
    javadoc: str | None
    annotations: tuple[str, ...]

    @property
    def is_constructor(self) -> bool:
        return self.node.type == "constructor_declaration"

    @property
    def has_body(self) -> bool:
        return self.node.child_by_field_name("body") is not None

    @property
    def parameter_count(self) -> int:
        parameters = self.node.child_by_field_name("parameters")
        return 0 if parameters is None else sum(1 for c in parameters.named_children if "parameter" in c.type)


def parse_java(text: str) -> tuple[Node, bytes]:
    """The root node of ``text``'s syntax tree and the bytes it indexes (a partial tree for broken code)."""
    source = text.encode("utf-8")
    return parser_for(get_spec("java")).parse(source).root_node, source


def methods(root: Node, source: bytes) -> Iterator[JavaMethod]:
    """Every method and constructor under ``root``, in source order, nested classes included."""
    stack = [(root, None)]
    while stack:
        node, class_name = stack.pop()
        if node.type in METHOD_KINDS:
            yield _method(node, class_name, source)
        if node.type in TYPE_KINDS:
            name = node.child_by_field_name("name")
            class_name = name.text.decode("utf-8", "replace") if name is not None else class_name
        stack.extend((child, class_name) for child in reversed(node.named_children))


def _method(node: Node, class_name: str | None, source: bytes) -> JavaMethod:
    name = node.child_by_field_name("name")
    previous = node.prev_named_sibling
    javadoc = None
    if previous is not None and previous.type == "block_comment" and previous.text.startswith(b"/**"):
        javadoc = previous.text.decode("utf-8", "replace")
    annotations: list[str] = []
    for child in node.named_children:
        if child.type == "modifiers":
            for annotation in child.named_children:
                if annotation.type in ("marker_annotation", "annotation"):
                    annotation_name = annotation.child_by_field_name("name")
                    if annotation_name is not None:
                        annotations.append(annotation_name.text.decode("utf-8", "replace").rsplit(".", 1)[-1])
    return JavaMethod(node, name.text.decode("utf-8", "replace") if name is not None else "", class_name,
                      node_text(node, source), javadoc, tuple(annotations))


def node_text(node: Node, source: bytes) -> str:
    """``node``'s source, its continuation lines dedented by the column it starts at."""
    text = source[node.start_byte:node.end_byte].decode("utf-8", "replace")
    column = node.start_point[1]
    lines = text.split("\n")
    return "\n".join([lines[0]] + [_strip_indent(line, column) for line in lines[1:]])


def _strip_indent(line: str, column: int) -> str:
    indent = len(line) - len(line.lstrip(" \t"))
    return line[min(indent, column):]


def tokens(node: Node, replace: dict[int, list[str]] | None = None) -> list[str]:
    """``node``'s tokens in order (comments left out; a string literal is one token, its newlines escaped).
    ``replace`` maps a descendant's ``id`` to the tokens that stand in for it."""
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if replace is not None and current.id in replace:
            out.extend(replace[current.id])
        elif current.type in COMMENTS:
            continue
        elif current.child_count == 0 or current.type in ATOMIC_TOKENS:
            text = current.text.decode("utf-8", "replace")
            if text:
                out.append(text.replace("\r", "").replace("\n", "\\n"))
        else:
            stack.extend(reversed(current.children))
    return out


def descendants(node: Node, kind: str) -> Iterator[Node]:
    """Every descendant of ``node`` of type ``kind``, in source order."""
    stack = list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        if current.type == kind:
            yield current
        stack.extend(reversed(current.named_children))


_WORD = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*|\S")


def lexical_tokens(code: str) -> list[str]:
    """A whitespace-independent token sequence of ``code`` (identifiers, numbers, single symbols), the unit of
    deduplication; works the same on raw and on pre-tokenised code (TL-CodeSum's)."""
    return _WORD.findall(code)
