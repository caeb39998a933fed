"""JavaScript: tree-sitter-javascript node types mapped onto CPG roles."""

from __future__ import annotations

import tree_sitter_javascript

from cpg.languages.spec import LanguageSpec

JAVASCRIPT = LanguageSpec(
    name="javascript",
    aliases=("js", "node"),
    extensions=(".js", ".mjs", ".cjs", ".jsx"),
    language=tree_sitter_javascript.language,
    roles={
        "statement_block": "block",
        "if_statement": "if",
        "else_clause": "else",
        "for_statement": "loop",
        "for_in_statement": "loop",  # for ... in and for ... of
        "while_statement": "loop",
        "do_statement": "do",
        "switch_statement": "switch",
        "switch_case": "case",
        "switch_default": "case",
        "try_statement": "try",
        "catch_clause": "catch",
        "finally_clause": "finally",
        "labeled_statement": "labeled",
        "return_statement": "return",
        "throw_statement": "throw",
        "break_statement": "break",
        "continue_statement": "continue",
    },
    function_kinds=frozenset(
        {"function_declaration", "generator_function_declaration", "function_expression", "generator_function",
         "arrow_function", "method_definition"}
    ),  # fmt: skip
    module_kinds=frozenset({"program"}),
    skip_kinds=frozenset({"comment"}),
    case_label_kinds=frozenset(),
    # ``{ x }`` in an object literal reads ``x`` (``shorthand_property_identifier``; in a pattern it is ``..._pattern``)
    identifier_kinds=frozenset({"identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern",
                                "statement_identifier"}),
    positions={
        ("variable_declarator", "name"): "def_if_init",
        ("formal_parameters", None): "def",
        ("assignment_pattern", "left"): "def",
        ("object_assignment_pattern", "left"): "def",  # ``{b = d} = o`` defines ``b`` and reads ``d``
        ("rest_pattern", None): "def",
        ("arrow_function", "parameter"): "def",
        ("catch_clause", "parameter"): "def",
        ("for_in_statement", "left"): "def",
        ("assignment_expression", "left"): "assign",
        ("augmented_assignment_expression", "left"): "assign",
        ("update_expression", None): "update",
        ("function_declaration", "name"): "ignore",
        ("generator_function_declaration", "name"): "ignore",
        ("function_expression", "name"): "ignore",
        ("class_declaration", "name"): "ignore",
        ("class", "name"): "ignore",
        ("labeled_statement", None): "ignore",
        ("break_statement", None): "ignore",
        ("continue_statement", None): "ignore",
        ("import_specifier", None): "ignore",
        ("namespace_import", None): "ignore",
        ("import_clause", None): "ignore",
        ("export_specifier", None): "ignore",
    },
    # a default in ``{b = d}`` is read, so that pattern is not looked through
    pattern_kinds=frozenset({"object_pattern", "array_pattern", "pair_pattern"}),
    # top-level declarations are no statements of the script's own unit
    unit_kinds=frozenset({"function_declaration", "generator_function_declaration", "class_declaration",
                          "import_statement", "export_statement"}),
    # ``x ??= y``/``||=``/``&&=`` assign on some paths only
    conditional_kinds={"binary_expression": "short_circuit", "ternary_expression": "branches",
                       "augmented_assignment_expression": "short_circuit"},
    # a bare class method (``m(x) { ... }``, a method-level dataset's sample) parses inside a class
    wrapper=(b"class __CpgWrapper__ {\n", b"\n}\n"),
    wrapper_repairs_only=True,
    scopes={"class_body": None},
    calls={"call_expression": ("function", "arguments")},
)
