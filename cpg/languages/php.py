"""PHP: tree-sitter-php node types mapped onto CPG roles.

Parsing: code that starts with markup (``<?php``, inline HTML) is a whole file and is parsed with the full PHP
grammar; other code (a CodeSearchNet function or method, which comes without ``<?php``) with the pure-PHP grammar,
and a method with modifiers (``public static function f()``) inside a wrapper class. Variables are
``variable_name`` nodes, named with their ``$`` (``$x``); ``$this`` is a variable that nothing defines.

Modelled: ``if``/``elseif``/``else`` (also the ``:`` ... ``endif;`` forms), loops, ``foreach ($xs as $k => $v)``
and ``list()``/``[...]`` destructuring (definitions), ``switch`` with fall-through, ``break N``/``continue N`` (a
``switch`` counts as a loop level, and ``continue`` aimed at it acts as ``break``), ``goto``, ``try``/``catch``/
``finally`` (a ``catch`` takes only the classes it names; ``Throwable`` takes every one), ``throw`` statements
and ``exit``/``die`` (to the exit, through any ``finally``), ``match`` and ``?:``
(definitions in their arms are conditional), ``&&``/``||``/``??``/``and``/``or`` right operands and ``??=``
(conditional definitions). Closures: ``function () use ($x, &$y)`` reads exactly its ``use`` list where it is
created; an arrow function ``fn($x) => $x + $y`` reads every outer name it reads (capture by value); named
functions and methods capture nothing. References (:mod:`cpg.aliases`): after ``$y = &$x`` a write to either
name may define the other; after ``foreach ($xs as &$v)``, ``$w = &$xs[0]`` or ``[&$a] = $xs`` a write to the
alias may define ``$xs``; binding a name anew or ``unset`` ends its bindings.

Simplifications: fields (``$this->x``, ``self::$x``) and array elements are not variables (writing ``$a[$i]``
uses ``$a``); variable variables (``$$name``, ``${'x'}``) and ``extract()``/``compact()`` are not resolved;
``global $x``/``static $x`` define ``$x``; a closure's writes to a by-reference capture (``use (&$y)``) and to
``$GLOBALS`` do not reach the enclosing function; in keyed destructuring (``[$k => $v] = $pair``) a key that is
a variable counts as a definition; ``throw`` inside an expression (``$x ?? throw ...``) and the ``match``
arms are one node; ``exit`` runs enclosing ``finally`` blocks; a ``goto`` to an unknown label leaves the unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tree_sitter_php

from cpg.languages.spec import LanguageSpec, written_types

if TYPE_CHECKING:
    from cpg.syntax import SyntaxTable

_FUNCTIONS = ("function_definition", "method_declaration", "anonymous_function_creation_expression")


def _handler_types(table: SyntaxTable, handler: int) -> tuple[bytes, ...]:
    """The types a ``catch_clause`` names, lower-cased (PHP class names ignore case): ``catch (A | \\B $e)`` ->
    ``a``, ``\\b``."""
    group = table.field_child(handler, "type")
    if group is None:
        return ()
    types = table.children[group] if table.kinds[group] == "type_list" else [group]
    return tuple(text.lower() for text in written_types(table, types))


PHP = LanguageSpec(
    name="php",
    aliases=(),
    extensions=(".php", ".phtml", ".php3", ".php4", ".php5", ".php7", ".phps"),
    language=tree_sitter_php.language_php_only,
    markup_language=tree_sitter_php.language_php,
    roles={
        "compound_statement": "block",
        "colon_block": "block",
        "if_statement": "if",
        "else_if_clause": "elif",
        "else_clause": "else",
        "while_statement": "loop",
        "for_statement": "loop",
        "foreach_statement": "loop",
        "do_statement": "do",
        "switch_statement": "switch",
        "case_statement": "case",
        "default_statement": "case",
        "try_statement": "try",
        "catch_clause": "catch",
        "finally_clause": "finally",
        "named_label_statement": "labeled",
        "return_statement": "return",
        "exit_statement": "return",
        "break_statement": "break",
        "continue_statement": "continue",
        "goto_statement": "goto",
    },
    keyword_roles={("expression_statement", b"throw"): "throw"},
    noreturn_calls=frozenset({b"die", b"exit"}),
    numbered_jumps=True,
    function_kinds=frozenset({*_FUNCTIONS, "arrow_function"}),
    capture_modes={kind: "none" for kind in _FUNCTIONS},
    capture_kinds=frozenset({"anonymous_function_use_clause"}),
    module_kinds=frozenset({"program"}),
    skip_kinds=frozenset({"comment", "php_tag", "text_interpolation", "text"}),
    case_label_kinds=frozenset(),
    identifier_kinds=frozenset({"variable_name"}),
    label_kinds=frozenset({"name"}),
    positions={
        ("simple_parameter", "name"): "def",
        ("variadic_parameter", "name"): "def",
        ("property_promotion_parameter", "name"): "def",
        ("assignment_expression", "left"): "assign",
        ("augmented_assignment_expression", "left"): "assign",
        ("reference_assignment_expression", "left"): "assign",
        ("update_expression", None): "update",
        ("foreach_statement", None): "def_unless_first",
        ("catch_clause", "name"): "def",
        ("static_variable_declaration", "name"): "def",
        ("global_declaration", None): "def",
        ("scoped_property_access_expression", "name"): "ignore",  # self::$count is a static field
    },
    pattern_kinds=frozenset(
        {"list_literal", "pair", "by_ref", "array_creation_expression", "array_element_initializer"}
    ),
    wrapper=(b"class __CpgWrapper__ {\n", b"\n}\n"),
    unit_kinds=frozenset(
        {"function_definition", "class_declaration", "interface_declaration", "trait_declaration",
         "enum_declaration", "namespace_definition", "namespace_use_declaration", "const_declaration"}
    ),  # fmt: skip
    conditional_kinds={
        "binary_expression": "short_circuit",
        "augmented_assignment_expression": "short_circuit",  # ``$x ??= $y``
        "conditional_expression": "branches",
        "match_expression": "branches",
    },
    scopes={"declaration_list": None},  # an anonymous class's properties are not the function's variables
    references={
        "reference_assignment_expression": "bind",
        "by_ref": "by_ref",
        "subscript_expression": "element",
        "unset_statement": "unbind",
    },
    calls={
        "function_call_expression": ("function", "arguments"),
        "member_call_expression": ("name", "arguments"),
        "nullsafe_member_call_expression": ("name", "arguments"),
        "scoped_call_expression": ("name", "arguments"),
    },
    handler_types=_handler_types,
    catch_all_types=frozenset({b"throwable", b"\\throwable"}),  # ``Exception`` misses ``Error``s (PHP 7)
)
