"""Parse a snippet with tree-sitter and flatten its syntax tree into arrays.

The rest of the tree-sitter backend (:mod:`cpg.cfg`, :mod:`cpg.dataflow`) works on a :class:`SyntaxTable` —
plain Python lists indexed by node id, in pre-order (a parent's id is smaller than its children's) — because
one pass over the tree with a cursor is the only part that has to touch tree-sitter objects, and list lookups
are much cheaper than tree-sitter node accesses.

Bare Java/C# methods (CodeXGLUE snippets are ``public int foo(...) {...}`` without a class) are parsed inside
the language's wrapper class (:attr:`LanguageSpec.wrapper`); the wrapper's own nodes are left out of the table
and spans are mapped back to the snippet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Language, Parser, Tree

from cpg.languages import LanguageSpec


_PARSERS: dict[str, Parser] = {}


def parser_for(spec: LanguageSpec, markup: bool = False) -> Parser:
    """A cached tree-sitter parser for ``spec`` (one per process), or for its ``markup_language``."""
    key = spec.name + ":markup" if markup else spec.name
    parser = _PARSERS.get(key)
    if parser is None:
        language = spec.markup_language if markup and spec.markup_language is not None else spec.language
        parser = _PARSERS[key] = Parser(Language(language()))
    return parser


@dataclass
class ParsedSource:
    """A tree and where the snippet sits in the parsed bytes (``offset`` bytes, ``line_offset`` lines in)."""

    tree: Tree
    source: bytes
    offset: int
    line_offset: int
    end: int

    @property
    def wrapped(self) -> bool:
        return self.offset > 0


def parse(code: bytes, spec: LanguageSpec) -> ParsedSource:
    """Parse ``code``; a Java/C# snippet that is not a compilation unit is parsed inside the wrapper class.

    The wrapped parse is kept when it is error-free; otherwise the raw parse wins when it is error-free or when
    the code starts like a compilation unit (``package``/``class``/``using``...). With ``wrapper_repairs_only``
    (TypeScript) the wrapper is tried only when the raw parse has errors, and kept only when it has none. Code
    that starts with markup (``<``) is parsed as it is with the spec's ``markup_language`` if it has one (PHP
    files with ``<?php`` tags).
    """
    if spec.markup_language is not None and code.lstrip()[:1] == b"<":
        return ParsedSource(parser_for(spec, markup=True).parse(code), code, 0, 0, len(code))
    parser = parser_for(spec)
    tree = parser.parse(code)
    raw = ParsedSource(tree, code, 0, 0, len(code))
    if spec.wrapper is None:
        return raw
    root = tree.root_node
    top = [child.type for child in root.named_children if child.type not in spec.skip_kinds]
    if not root.has_error and (spec.wrapper_repairs_only or all(kind in spec.unit_kinds for kind in top)):
        return raw
    prefix, suffix = spec.wrapper
    source = prefix + code + suffix
    wrapped = ParsedSource(parser.parse(source), source, len(prefix), 1, len(prefix) + len(code))
    if not wrapped.tree.root_node.has_error:
        return wrapped
    if spec.wrapper_repairs_only or not root.has_error or (top and top[0] in spec.unit_kinds):
        return raw
    return wrapped


@dataclass
class SyntaxTable:
    """The named nodes of a parsed snippet as parallel lists (index = node id, pre-order).

    ``starts_b``/``ends_b`` are byte offsets in the *parsed* source (wrapper included). ``parents[i]`` is -1
    for roots (the tree root, or the top members when the wrapper class was dropped).
    """

    spec: LanguageSpec
    parsed: ParsedSource
    kinds: list[str] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    fields: list[str | None] = field(default_factory=list)
    children: list[list[int]] = field(default_factory=list)
    starts_b: list[int] = field(default_factory=list)
    ends_b: list[int] = field(default_factory=list)
    identifiers: list[int] = field(default_factory=list)
    functions: list[int] = field(default_factory=list)
    num_errors: int = 0

    def __len__(self) -> int:
        return len(self.kinds)

    def source_bytes(self, index: int) -> bytes:
        return self.parsed.source[self.starts_b[index] : self.ends_b[index]]

    def field_child(self, index: int, name: str) -> int | None:
        """The first child of ``index`` in field ``name``, or None."""
        fields = self.fields
        for child in self.children[index]:
            if fields[child] == name:
                return child
        return None

    def field_children(self, index: int, name: str) -> list[int]:
        fields = self.fields
        return [child for child in self.children[index] if fields[child] == name]

    def body_of(self, index: int) -> int | None:
        """The ``body`` field child, else an expression body in the ``value`` field (C# ``int P => x + 1;``), else
        the first child that is a block (Python ``except``, C# ``lock``)."""
        body = self.field_child(index, "body")
        if body is not None:
            return body
        value = self.field_child(index, "value")
        if value is not None and self.kinds[value] == "arrow_expression_clause":
            return value
        roles = self.spec.roles
        for child in self.children[index]:
            if roles.get(self.kinds[child]) == "block":
                return child
        return None


def collect(parsed: ParsedSource, spec: LanguageSpec) -> SyntaxTable:
    """Walk the tree once (cursor, pre-order) and record its named nodes inside the snippet."""
    table = SyntaxTable(spec, parsed)
    kinds = table.kinds
    parents = table.parents
    fields = table.fields
    children = table.children
    starts_b = table.starts_b
    ends_b = table.ends_b
    identifiers = table.identifiers
    functions = table.functions
    ident_kinds = spec.identifier_kinds
    function_kinds = spec.function_kinds
    inline_bodies = spec.inline_bodies
    lo, hi = parsed.offset, parsed.end
    num_errors = 0
    cursor = parsed.tree.walk()
    stack = [-1]
    while True:
        node = cursor.node
        if node.is_missing and lo <= node.start_byte <= hi:  # a token the parser inserted to recover
            num_errors += 1
        if node.is_named:
            start = node.start_byte
            end = node.end_byte
            if start >= lo and end <= hi:
                index = len(kinds)
                kind = node.type
                parent = stack[-1]
                kinds.append(kind)
                parents.append(parent)
                fields.append(cursor.field_name)
                children.append([])
                if parent >= 0:
                    children[parent].append(index)
                starts_b.append(start)
                ends_b.append(end)
                if kind in ident_kinds:
                    identifiers.append(index)
                elif kind in function_kinds and (parent < 0 or (kinds[parent], cursor.field_name) not in inline_bodies):
                    functions.append(index)
                elif kind == "ERROR":
                    num_errors += 1
                if cursor.goto_first_child():
                    stack.append(index)
                    continue
            elif cursor.goto_first_child():
                stack.append(stack[-1])
                continue
        elif cursor.goto_first_child():
            stack.append(stack[-1])
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                table.num_errors = num_errors
                return table
            stack.pop()
