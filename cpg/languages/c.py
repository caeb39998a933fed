"""C: tree-sitter-c node types mapped onto CPG roles.

A bare function (a Devign/BigVul sample) is a whole translation unit, so nothing is wrapped. Declarators nest
(``*p``, ``a[n]``, ``(*fp)(int)``): they are looked through to the declared name, which an ``init_declarator``
or a parameter defines; a declaration without an initializer defines nothing. ``*p = x``, ``p->f = x``,
``s.f = x`` and ``a[i] = x`` use ``p``/``s``/``a`` (no pointer or field sensitivity).

Preprocessor: macros are not expanded. A macro call is whatever it parses as (mostly a call: its arguments are
uses); code that only parses after expansion (``list_for_each(p, h) { ... }``) gets a syntax-error warning and a
partial graph. Inside a function ``#if``/``#ifdef``/``#elif`` are branch nodes like ``if``/``else if`` and each
branch is a path (one per configuration, ``#if 0`` included); their conditions name macros, no variables.
``#define``/``#include``/``#pragma`` lines and attributes are no statements.

``&x`` passed to a call (``scanf("%d", &x)``, ``memset(&s, ...)``) uses ``x`` and may define it: a definition
that kills none, as the callee may or may not write it.

Simplifications: an array or pointer passed as itself (``strcpy(buf, s)``) is only used, and a declaration
without an initializer (``char buf[10];``) defines nothing, so the write ``strcpy`` makes is not seen; a name
declared again in an inner block is the same variable as the outer one; parameter names in a local prototype or
function-pointer declarator (``int (*cb)(int x) = f;``) are defined by that statement; a ``switch`` sees its
cases only among the statements of its body (and inside ``#if`` there), not nested deeper (Duff's device);
``__leave`` (MSVC ``__try``) is an ordinary statement; a GCC computed ``goto *p`` is a syntax error (warning)
that leaves the function.
"""

from __future__ import annotations

import tree_sitter_c

from cpg.languages.spec import LanguageSpec

#: declarators that wrap the declared name (looked through to the name)
DECLARATOR_KINDS = frozenset(
    {"pointer_declarator", "array_declarator", "function_declarator", "parenthesized_declarator",
     "attributed_declarator"}
)  # fmt: skip

#: ``if``/``while``/... and the other statement roles C and C++ share
STATEMENT_ROLES = {
    "compound_statement": "block",
    "attributed_statement": "block",
    "if_statement": "if",
    "else_clause": "else",
    "while_statement": "loop",
    "for_statement": "loop",
    "do_statement": "do",
    "switch_statement": "switch",
    "case_statement": "case",
    "labeled_statement": "labeled",
    "return_statement": "return",
    "break_statement": "break",
    "continue_statement": "continue",
    "goto_statement": "goto",
    "seh_try_statement": "try",
    "seh_except_clause": "catch",
    "seh_finally_clause": "finally",
    "preproc_if": "variant",
    "preproc_ifdef": "variant",
    "preproc_elif": "variant",
    "preproc_elifdef": "variant",
    "preproc_else": "variant",
}

#: identifier positions C and C++ share
POSITIONS = {
    ("init_declarator", "declarator"): "def",
    ("declaration", "declarator"): "def_if_init",  # ``int j;`` no; C++ ``while (auto p = next())`` yes
    ("parameter_declaration", "declarator"): "def",
    ("array_declarator", "size"): "use",
    ("pointer_expression", "argument"): "address_of",  # ``f(&x)`` may define ``x``; ``*p`` reads ``p``
    ("assignment_expression", "left"): "assign",
    ("update_expression", None): "update",
    ("function_definition", "declarator"): "ignore",  # the function's own name
    ("enumerator", "name"): "ignore",
    ("attribute", "name"): "ignore",
    ("attribute", "prefix"): "ignore",
    ("attribute_specifier", None): "opaque",  # ``__attribute__((unused))``
    ("preproc_def", "name"): "ignore",
    ("preproc_function_def", "name"): "ignore",
    ("preproc_function_def", "parameters"): "opaque",
    ("preproc_ifdef", "name"): "opaque",
    ("preproc_elifdef", "name"): "opaque",
    ("preproc_if", "condition"): "opaque",
    ("preproc_elif", "condition"): "opaque",
}

#: the skip kinds C and C++ share: comments, preprocessor lines and ``[[...]]`` attributes, which are no statements
SKIP_KINDS = frozenset(
    {"comment", "preproc_def", "preproc_function_def", "preproc_include", "preproc_call", "attribute_declaration"}
)

#: C's standard functions that never return: a call statement to one leaves the function
NORETURN_CALLS = frozenset({b"exit", b"abort", b"_exit", b"_Exit", b"quick_exit", b"longjmp", b"siglongjmp"})

C = LanguageSpec(
    name="c",
    aliases=(),
    extensions=(".c", ".h"),
    language=tree_sitter_c.language,
    roles=STATEMENT_ROLES,
    function_kinds=frozenset({"function_definition"}),
    module_kinds=frozenset(),
    skip_kinds=SKIP_KINDS,
    case_label_kinds=frozenset(),
    identifier_kinds=frozenset({"identifier"}),
    positions=POSITIONS,
    pattern_kinds=DECLARATOR_KINDS,
    conditional_kinds={"binary_expression": "short_circuit", "conditional_expression": "branches"},
    calls={"call_expression": ("function", "arguments")},
    noreturn_calls=NORETURN_CALLS,
    label_kinds=frozenset({"statement_identifier"}),
)
