"""Ruby: tree-sitter-ruby node types mapped onto CPG roles.

Everything is an expression; the CFG is built over the expressions that stand as statements (the children of a
method, block or branch body). Modelled: ``if``/``unless``/``elsif``/``else`` and the modifier forms
(``x = 1 if c``, ``return unless c``: the condition node, then its body), ``while``/``until`` and their
modifiers (``begin ... end while c`` runs its body first, like ``do``), ``for x in xs`` (``x`` defined by the
header), ``case``/``when`` and ``case``/``in`` (no fall-through; ``else`` is the default arm; ``in`` patterns
and ``=>``/``in`` one-line patterns define the names they bind, conditionally), ``begin``/``rescue``/``else``/
``ensure`` and a method or ``do`` body with ``rescue``/``ensure`` (no node of its own: every statement of the
body may jump to each ``rescue``, and, since a ``rescue`` takes only the classes it names (``StandardError`` when
bare), also straight to ``ensure`` unless one rescues ``Exception``; ``ensure`` runs on every way out; a statement
that raises does not complete its assignment: what reaches a rescue from it is what reached the statement),
``retry`` (back to the ``begin`` body),
``next``/``break``/``redo`` in loops, ``raise``/``fail``/``exit``/``abort`` calls (they raise: to the handlers
and the exit, through any ``ensure``), multiple assignment with splats and nesting (``a, (b, *c) = ...``),
``||=``/``&&=`` (a conditional definition that also uses the old value), and ``&&``/``||``/``and``/``or``/
``?:`` operands (conditional definitions).

Blocks (``xs.each do |x| ... end``, ``{ |x| ... }``) and lambdas (``->(x) { }``, ``lambda``/``proc`` blocks) are
units of their own: ``next``/``break`` outside a loop in them leave the unit; the outer names they read are uses
at the statement that creates them, and a name they assign that the method reads into them or defines itself is
a conditional definition there (blocks share the method's variables) that also reaches the block's next run (its
entry); a block's parameters (``|x; tmp|`` too) shadow the method's names. ``def`` captures nothing.

Implicit return: the value of the last expression is the method's result; it is not a node of its own: the last
statement falls off the end into the exit, the same edge an explicit ``return`` there would give.

Simplifications: a control structure used as a value (``x = if c then a else b end``, ``y = case ...``,
``z = begin ... rescue ... end``) is one node: definitions in its branches are conditional, and a jump inside it
makes no edge; ``return`` in a block leaves the block's unit (not the method); instance, class and global
variables (``@x``, ``@@x``, ``$x``) are fields, not variables; a bare name that calls a method (``foo``) is read
like a variable ``foo`` (the parser cannot tell them apart; with no definition of it there is no edge); the
``{name:}`` pattern shorthand binds nothing; ``throw``/``catch`` and ``loop`` are plain calls; ``redo`` does
not pass through an ``ensure`` it leaves; a heredoc's body is a statement node of its own after the statement
that opens it (the parser puts it there), where its interpolations are read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tree_sitter_ruby

from cpg.languages.spec import LanguageSpec, written_types

if TYPE_CHECKING:
    from cpg.syntax import SyntaxTable

_BLOCKS = ("block", "do_block", "lambda")
_CONTROL = (
    "if", "unless", "if_modifier", "unless_modifier", "while", "until", "while_modifier", "until_modifier", "case",
    "case_match", "when", "in_clause", "rescue", "rescue_modifier",
)  # fmt: skip


def _handler_types(table: SyntaxTable, handler: int) -> tuple[bytes, ...] | None:
    """The classes a ``rescue`` names (``rescue A, ::B => e`` -> ``A``, ``::B``); None for a bare ``rescue``."""
    group = table.field_child(handler, "exceptions")
    return written_types(table, table.children[group]) if group is not None else None


RUBY = LanguageSpec(
    name="ruby",
    aliases=("rb",),
    extensions=(".rb", ".rake", ".gemspec", ".ru"),
    language=tree_sitter_ruby.language,
    roles={
        "body_statement": "begin",
        "begin": "begin",
        "then": "block",
        "do": "block",
        "block_body": "block",
        "block": "block",  # the body of ``->(x) { ... }`` (see inline_bodies)
        "do_block": "block",
        "if": "if",
        "unless": "if",
        "elsif": "if",
        "if_modifier": "if",
        "unless_modifier": "if",
        "else": "else",
        "while": "loop",
        "until": "loop",
        "for": "loop",
        "while_modifier": "loop",
        "until_modifier": "loop",
        "case": "switch",
        "case_match": "switch",
        "when": "arm",
        "in_clause": "arm",
        "rescue": "catch",
        "ensure": "finally",
        "return": "return",
        "break": "break",
        "next": "continue",
        "redo": "redo",
        "retry": "retry",
    },
    keyword_roles={
        **{(kind, word): "throw" for kind in ("call", "identifier") for word in (b"raise", b"fail", b"exit", b"abort")},
        ("while_modifier", b"begin"): "do",
        ("until_modifier", b"begin"): "do",
    },
    negated_kinds=frozenset({"unless", "unless_modifier", "until", "until_modifier"}),
    function_kinds=frozenset({"method", "singleton_method", *_BLOCKS}),
    inline_bodies=frozenset({("lambda", "body")}),
    loop_body_kinds=frozenset(_BLOCKS),
    capture_modes={"method": "none", "singleton_method": "none", **{kind: "reference" for kind in _BLOCKS}},
    module_kinds=frozenset({"program"}),
    skip_kinds=frozenset({"comment", "empty_statement", "uninterpreted"}),
    case_label_kinds=frozenset(),
    identifier_kinds=frozenset({"identifier"}),
    positions={
        ("method_parameters", None): "def",
        ("lambda_parameters", None): "def",
        ("block_parameters", None): "def",  # ``|x; tmp|``: the block-local ``tmp`` too
        ("optional_parameter", "name"): "def",
        ("keyword_parameter", "name"): "def",
        ("splat_parameter", "name"): "def",
        ("hash_splat_parameter", "name"): "def",
        ("block_parameter", "name"): "def",
        ("assignment", "left"): "assign",
        ("operator_assignment", "left"): "assign",
        ("for", "pattern"): "def",
        ("exception_variable", None): "def",
        ("in_clause", "pattern"): "def",
        ("match_pattern", "pattern"): "def",
        ("test_pattern", "pattern"): "def",
        ("as_pattern", "name"): "def",
        ("method", "name"): "ignore",
        ("singleton_method", "name"): "ignore",
        ("call", "method"): "ignore",
        ("scope_resolution", "name"): "ignore",
        ("setter", None): "ignore",
        ("alias", None): "ignore",
        ("undef", None): "ignore",
    },
    pattern_kinds=frozenset(
        {"left_assignment_list", "destructured_left_assignment", "rest_assignment", "destructured_parameter",
         "array_pattern", "find_pattern", "hash_pattern", "keyword_pattern", "parenthesized_pattern",
         "alternative_pattern"}
    ),  # fmt: skip
    unit_kinds=frozenset({"method", "singleton_method", "class", "module", "singleton_class"}),
    conditional_kinds={
        "binary": "short_circuit",
        "operator_assignment": "short_circuit",  # ``x ||= y``
        "conditional": "branches",
        **{kind: "branches" for kind in _CONTROL},
    },
    calls={"call": ("method", "arguments")},
    handler_types=_handler_types,
    catch_all_types=frozenset({b"Exception", b"::Exception"}),  # a bare ``rescue`` takes ``StandardError``
)
