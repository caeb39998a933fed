"""Python: tree-sitter-python node types mapped onto CPG roles.

Grammar limit: tree-sitter-python 0.21's indentation scanner gives up beyond 62 nested blocks; deeper code parses
as one ERROR node, so its graph has no CFG (a "syntax errors" warning says the graph is partial).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tree_sitter_python

from cpg.languages.spec import LanguageSpec, written_types

if TYPE_CHECKING:
    from cpg.syntax import SyntaxTable


def _handler_types(table: SyntaxTable, handler: int) -> tuple[bytes, ...] | None:
    """The types an ``except``/``except*`` clause names: ``except (A, m.B) as e:`` -> ``A``, ``m.B``; None for a
    bare ``except:``."""
    kinds, children = table.kinds, table.children
    value = next((c for c in children[handler] if kinds[c] not in ("block", "comment")), None)
    if value is None:
        return None
    if kinds[value] == "as_pattern":
        value = children[value][0]
    while kinds[value] == "parenthesized_expression" and children[value]:
        value = children[value][0]
    return written_types(table, children[value] if kinds[value] == "tuple" else [value])


PYTHON = LanguageSpec(
    name="python",
    aliases=("py", "python3"),
    extensions=(".py",),
    language=tree_sitter_python.language,
    roles={
        "block": "block",
        "if_statement": "if",
        "elif_clause": "elif",
        "else_clause": "else",
        "while_statement": "loop",
        "for_statement": "loop",
        "match_statement": "switch",
        "case_clause": "arm",
        "try_statement": "try",
        "except_clause": "catch",
        "except_group_clause": "catch",
        "finally_clause": "finally",
        "with_statement": "scoped",
        "return_statement": "return",
        "raise_statement": "throw",
        "break_statement": "break",
        "continue_statement": "continue",
    },
    function_kinds=frozenset({"function_definition"}),
    module_kinds=frozenset({"module"}),
    skip_kinds=frozenset({"comment"}),
    case_label_kinds=frozenset({"case_pattern", "if_clause"}),
    identifier_kinds=frozenset({"identifier"}),
    positions={
        ("parameters", None): "def",
        ("default_parameter", "name"): "def",
        ("typed_parameter", None): "def",
        ("typed_default_parameter", "name"): "def",
        ("assignment", "left"): "assign",
        ("augmented_assignment", "left"): "assign",
        ("for_statement", "left"): "def",
        ("as_pattern_target", None): "def",
        ("named_expression", "name"): "def",
        ("function_definition", "name"): "ignore",
        ("class_definition", "name"): "ignore",
        ("keyword_argument", "name"): "ignore",
        ("attribute", "attribute"): "ignore",
        ("lambda_parameters", None): "ignore",
        ("for_in_clause", "left"): "ignore",
        ("global_statement", None): "ignore",
        ("nonlocal_statement", None): "ignore",
        ("dotted_name", None): "capture",  # a bare name in a match pattern binds it; elsewhere (imports) ignored
        ("keyword_pattern", None): "ignore",  # the attribute name in ``case Point(x=px)``
        ("as_pattern", None): "capture",  # ``case Q() as q`` binds q; ``except E as e`` reads E
        ("splat_pattern", None): "def",  # ``case [a, *rest]`` / ``case {**kw}`` bind rest / kw (match patterns only)
        ("aliased_import", "alias"): "ignore",
        ("type", None): "ignore",
    },
    pattern_kinds=frozenset(
        {"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern", "dictionary_splat_pattern",
         "tuple", "list"}  # ``with f() as (a, b)``: the target is an expression; elsewhere climbing ends in a use
    ),
    conditional_kinds={"boolean_operator": "short_circuit", "conditional_expression": "branches"},
    scopes={
        kind: (("for_in_clause", "left"),)
        for kind in ("list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression")
    } | {"lambda": (("lambda_parameters", None), ("default_parameter", "name"), ("typed_parameter", None),
                    ("typed_default_parameter", "name"), ("list_splat_pattern", None), ("dictionary_splat_pattern", None))},
    calls={"call": ("function", "arguments")},
    handler_types=_handler_types,
    catch_all_types=frozenset({b"BaseException", b"builtins.BaseException"}),  # not ``Exception``: KeyboardInterrupt
    bare_handler_catches_all=True,
)
