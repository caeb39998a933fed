"""C#: tree-sitter-c-sharp node types mapped onto CPG roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import tree_sitter_c_sharp

from cpg.languages.spec import LanguageSpec, written_types

if TYPE_CHECKING:
    from cpg.syntax import SyntaxTable

_TYPE_DECLARATIONS = (
    "class_declaration", "struct_declaration", "interface_declaration", "enum_declaration", "record_declaration",
    "delegate_declaration",
)  # fmt: skip
_PATTERNS = (
    "constant_pattern", "declaration_pattern", "recursive_pattern", "var_pattern", "type_pattern",
    "relational_pattern", "and_pattern", "or_pattern", "negated_pattern", "parenthesized_pattern", "list_pattern",
    "tuple_pattern", "discard", "when_clause",
)  # fmt: skip


def _handler_types(table: SyntaxTable, handler: int) -> tuple[bytes, ...] | None:
    """The type a ``catch_clause`` names (``catch (IOException e)``); None for a bare ``catch``, none for a
    filtered one (``catch (Exception e) when (...)`` takes only what its filter lets through)."""
    kinds = table.kinds
    declaration = None
    for child in table.children[handler]:
        if kinds[child] == "catch_filter_clause":
            return ()
        if kinds[child] == "catch_declaration":
            declaration = child
    if declaration is None:
        return None
    type_ = table.field_child(declaration, "type")
    return written_types(table, [type_]) if type_ is not None else ()


CSHARP = LanguageSpec(
    name="c_sharp",
    aliases=("csharp", "cs", "c#"),
    extensions=(".cs",),
    language=tree_sitter_c_sharp.language,
    roles={
        "block": "block",
        "global_statement": "block",
        "if_statement": "if",
        "while_statement": "loop",
        "for_statement": "loop",
        "foreach_statement": "loop",
        "do_statement": "do",
        "switch_statement": "switch",
        "switch_section": "case",
        "try_statement": "try",
        "catch_clause": "catch",
        "finally_clause": "finally",
        "using_statement": "scoped",
        "lock_statement": "scoped",
        "fixed_statement": "scoped",
        "checked_statement": "scoped",
        "unsafe_statement": "scoped",
        "labeled_statement": "labeled",
        "return_statement": "return",
        "throw_statement": "throw",
        "break_statement": "break",
        "continue_statement": "continue",
        "goto_statement": "goto",
        "yield_statement": "yield",
    },
    function_kinds=frozenset(
        {"method_declaration", "constructor_declaration", "destructor_declaration", "operator_declaration",
         "conversion_operator_declaration", "accessor_declaration", "local_function_statement", "lambda_expression",
         "anonymous_method_expression", "property_declaration", "indexer_declaration"}
    ),  # fmt: skip
    module_kinds=frozenset({"compilation_unit"}),
    skip_kinds=frozenset({"comment", "preproc_region", "preproc_endregion", "preproc_pragma"}),
    case_label_kinds=frozenset(_PATTERNS),
    identifier_kinds=frozenset({"identifier", "implicit_parameter"}),
    positions={
        ("variable_declarator", "name"): "def_if_init",
        ("parameter", "name"): "def",
        ("catch_declaration", "name"): "def",
        ("foreach_statement", "left"): "def",
        ("declaration_expression", "name"): "def",
        ("declaration_pattern", "name"): "def",
        ("tuple_pattern", "name"): "def",  # var (p, q) = ...; foreach (var (k, v) in d)
        ("lambda_expression", "parameters"): "def",
        ("assignment_expression", "left"): "assign",
        ("postfix_unary_expression", None): "update",
        ("prefix_unary_expression", None): "update",
        ("member_access_expression", "name"): "ignore",
        ("member_binding_expression", "name"): "ignore",
        ("argument", "name"): "ignore",
        ("argument", None): "argument",
        ("attribute", "name"): "ignore",
        ("generic_name", None): "ignore",
        ("qualified_name", None): "ignore",
        ("qualified_name", "name"): "ignore",
        ("qualified_name", "qualifier"): "ignore",
        ("variable_declaration", "type"): "ignore",
        ("parameter", "type"): "ignore",
        ("catch_declaration", "type"): "ignore",
        ("foreach_statement", "type"): "ignore",
        ("object_creation_expression", "type"): "ignore",
        ("cast_expression", "type"): "ignore",
        ("declaration_pattern", "type"): "ignore",
        ("declaration_expression", "type"): "ignore",
        ("typeof_expression", "type"): "ignore",
        ("nullable_type", None): "ignore",
        ("array_type", "type"): "ignore",
        ("type_argument_list", None): "ignore",
        ("base_list", None): "ignore",
        ("method_declaration", "name"): "ignore",
        ("method_declaration", "returns"): "ignore",
        ("local_function_statement", "name"): "ignore",
        ("local_function_statement", "type"): "ignore",
        ("constructor_declaration", "name"): "ignore",
        ("destructor_declaration", "name"): "ignore",
        ("property_declaration", "name"): "ignore",
        ("property_declaration", "type"): "ignore",
        ("enum_member_declaration", "name"): "ignore",
        ("namespace_declaration", "name"): "ignore",
        ("using_directive", None): "ignore",
        ("type_parameter", None): "ignore",
        ("labeled_statement", None): "ignore",
        ("goto_statement", None): "ignore",
        **{(kind, "name"): "ignore" for kind in _TYPE_DECLARATIONS},
    },
    wrapper=(b"class __CpgWrapper__ {\n", b"\n}\n"),
    unit_kinds=frozenset(
        {"using_directive", "extern_alias_directive", "namespace_declaration", "file_scoped_namespace_declaration",
         "attribute_list", *_TYPE_DECLARATIONS}
    ),  # fmt: skip
    # ``x ??= y`` assigns on some paths only (an ``assignment_expression``, not a ``binary_expression``)
    conditional_kinds={"binary_expression": "short_circuit", "conditional_expression": "branches",
                       "assignment_expression": "short_circuit"},
    scopes={"query_expression": (("from_clause", "name"), ("let_clause", None), ("join_clause", "name"),
                                  ("query_continuation", "name"))},
    #: a setter's (or init accessor's) ``value`` is defined where it starts
    implicit_definitions={("accessor_declaration", b"set"): (b"value",), ("accessor_declaration", b"init"): (b"value",)},
    calls={"invocation_expression": ("function", "arguments")},
    handler_types=_handler_types,
    catch_all_types=frozenset({b"Exception", b"System.Exception", b"global::System.Exception"}),
    bare_handler_catches_all=True,
)
