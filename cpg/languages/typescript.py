"""TypeScript and TSX: JavaScript's table (the grammars share its statement and expression node types) plus the
TypeScript additions: typed parameters (``required_parameter``/``optional_parameter``), non-null assertions,
namespaces and ``static`` blocks as units of their own, and declaration-only code (interfaces, type aliases,
overload signatures) that names no variables.

TSX is its own language (``tsx``), not an alias of ``typescript``: the two are different tree-sitter grammars (in
TSX ``<T>x`` is a JSX element, not a type assertion) and a spec carries exactly one grammar. JSX tag names are
read as variables (``<Foo />`` reads the component ``Foo``; an intrinsic ``<div>`` names no local, so links
nothing).

As in JavaScript, ``x ??= y``/``||=``/``&&=`` are conditional definitions and a bare class method parses inside
a wrapper class. A ``namespace``/``module`` body is a unit of its own, created (and its captures read) by the statement that declares it.

Simplifications: types are not variables (``typeof x`` or ``z.ZodType`` in a type reads nothing);
``enum``/``class``/``function`` declaration names define nothing (as in JavaScript); decorators are read where
their class is declared.
"""

from __future__ import annotations

from dataclasses import replace

import tree_sitter_typescript

from cpg.languages.javascript import JAVASCRIPT

TYPESCRIPT = replace(
    JAVASCRIPT,
    name="typescript",
    aliases=("ts",),
    extensions=(".ts", ".mts", ".cts"),
    language=tree_sitter_typescript.language_typescript,
    function_kinds=JAVASCRIPT.function_kinds | {"class_static_block", "internal_module", "module"},
    positions={
        **JAVASCRIPT.positions,
        ("required_parameter", "pattern"): "def",
        ("optional_parameter", "pattern"): "def",
        ("type_predicate", "name"): "ignore",  # ``x is string``
        ("type_query", None): "ignore",  # ``typeof x`` in a type
        ("nested_type_identifier", None): "ignore",  # ``z.ZodType`` in a type
        ("index_signature", "name"): "ignore",  # ``[key: string]: T``
        ("enum_declaration", "name"): "ignore",
        ("internal_module", "name"): "ignore",
        ("module", "name"): "ignore",
        ("function_signature", "name"): "ignore",
        ("import_alias", None): "ignore",
        ("nested_identifier", None): "ignore",  # ``N.B`` in ``import A = N.B``
        ("import_require_clause", None): "ignore",
    },
    pattern_kinds=JAVASCRIPT.pattern_kinds | {"non_null_expression"},  # ``x! = 1`` defines ``x``
    # the parameter names of a signature in a type (``f: (k: string) => void``, ``{ m(q: number): void }``) are
    # no variables: they would otherwise be defined where the type is written (the entry, a declaration)
    scopes={**JAVASCRIPT.scopes, **dict.fromkeys(("function_type", "constructor_type", "method_signature",
                                                  "call_signature", "construct_signature"))},
    unit_kinds=JAVASCRIPT.unit_kinds
    | {"interface_declaration", "type_alias_declaration", "enum_declaration", "abstract_class_declaration",
       "ambient_declaration", "function_signature", "import_alias"},  # fmt: skip
)

TSX = replace(
    TYPESCRIPT,
    name="tsx",
    aliases=(),
    extensions=(".tsx",),
    language=tree_sitter_typescript.language_tsx,
)

__all__ = ["TSX", "TYPESCRIPT"]
