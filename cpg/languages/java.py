"""Java: tree-sitter-java node types mapped onto CPG roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import tree_sitter_java

from cpg.languages.spec import LanguageSpec, written_types

if TYPE_CHECKING:
    from cpg.syntax import SyntaxTable


def _handler_types(table: SyntaxTable, handler: int) -> tuple[bytes, ...]:
    """The types a ``catch_clause`` names: ``catch (A | b.B e)`` -> ``A``, ``b.B``."""
    kinds, children = table.kinds, table.children
    for parameter in children[handler]:
        if kinds[parameter] == "catch_formal_parameter":
            for group in children[parameter]:
                if kinds[group] == "catch_type":
                    return written_types(table, children[group])
    return ()


JAVA = LanguageSpec(
    name="java",
    aliases=(),
    extensions=(".java",),
    language=tree_sitter_java.language,
    roles={
        "block": "block",
        "constructor_body": "block",
        "if_statement": "if",
        "while_statement": "loop",
        "for_statement": "loop",
        "enhanced_for_statement": "loop",
        "do_statement": "do",
        "switch_expression": "switch",
        "switch_block_statement_group": "case",
        "switch_rule": "arm",
        "try_statement": "try",
        "try_with_resources_statement": "try",
        "catch_clause": "catch",
        "finally_clause": "finally",
        "synchronized_statement": "scoped",
        "labeled_statement": "labeled",
        "return_statement": "return",
        "throw_statement": "throw",
        "break_statement": "break",
        "continue_statement": "continue",
    },
    function_kinds=frozenset(
        {"method_declaration", "constructor_declaration", "compact_constructor_declaration", "lambda_expression",
         "static_initializer"}
    ),  # fmt: skip
    module_kinds=frozenset({"program"}),
    skip_kinds=frozenset({"line_comment", "block_comment"}),
    case_label_kinds=frozenset({"switch_label"}),
    identifier_kinds=frozenset({"identifier"}),
    positions={
        ("variable_declarator", "name"): "def_if_init",
        ("formal_parameter", "name"): "def",
        ("instanceof_expression", "name"): "def",  # o instanceof String s
        ("type_pattern", None): "def",  # case Integer i when i > 0
        ("catch_formal_parameter", "name"): "def",
        ("enhanced_for_statement", "name"): "def",
        ("resource", "name"): "def",
        ("lambda_expression", "parameters"): "def",
        ("inferred_parameters", None): "def",
        ("assignment_expression", "left"): "assign",
        ("update_expression", None): "update",
        ("method_invocation", "name"): "ignore",
        ("field_access", "field"): "ignore",
        ("method_reference", None): "ignore",
        ("method_declaration", "name"): "ignore",
        ("constructor_declaration", "name"): "ignore",
        ("compact_constructor_declaration", "name"): "ignore",
        ("class_declaration", "name"): "ignore",
        ("interface_declaration", "name"): "ignore",
        ("enum_declaration", "name"): "ignore",
        ("record_declaration", "name"): "ignore",
        ("annotation_type_declaration", "name"): "ignore",
        ("enum_constant", "name"): "ignore",
        ("annotation", "name"): "ignore",
        ("marker_annotation", "name"): "ignore",
        ("element_value_pair", "key"): "ignore",
        ("labeled_statement", None): "ignore",
        ("break_statement", None): "ignore",
        ("continue_statement", None): "ignore",
        ("scoped_identifier", "scope"): "ignore",
        ("scoped_identifier", "name"): "ignore",
        ("package_declaration", None): "ignore",
        ("import_declaration", None): "ignore",
    },
    wrapper=(b"class __CpgWrapper__ {\n", b"\n}\n"),
    unit_kinds=frozenset(
        {"package_declaration", "import_declaration", "module_declaration", "class_declaration",
         "interface_declaration", "enum_declaration", "record_declaration", "annotation_type_declaration"}
    ),  # fmt: skip
    conditional_kinds={"binary_expression": "short_circuit", "ternary_expression": "branches",
                       "switch_expression": "branches"},  # a definition in one arm of ``switch (x) { ... }``
    scopes={"class_body": None},  # an anonymous class's fields are not the method's variables
    calls={"method_invocation": ("name", "arguments")},
    handler_types=_handler_types,
    catch_all_types=frozenset({b"Throwable", b"java.lang.Throwable"}),  # ``Exception`` misses ``Error``s
)
