"""Go: tree-sitter-go node types mapped onto CPG roles.

Go has no exceptions and no fall-through: a ``case`` is an ``arm`` that goes on into the next one only by a
``fallthrough`` statement; ``select`` always runs one of its cases (no edge past it without ``default``), and a
case's communication (``v, ok := <-ch``) is the first statement of its arm. ``panic(...)``, ``os.Exit(...)`` and
the ``log.Fatal*``/``log.Panic*`` calls never return: such a statement jumps to the exit. ``for {}`` (or a
``for`` clause without a condition) is left only by ``break``/``return``/``goto``. Labeled ``break``/``continue``
and ``goto`` use ``label_name``. ``a, b = b, a`` and ``:=`` define every name on their left; ``var x int``
defines ``x`` (its zero value); parameters and named results are defined at the entry. Function literals are
units of their own; the names they read from the enclosing function are uses where the literal is written.

``defer f(x)`` is a statement where it stands: its call's function and arguments are evaluated (read) there, as
Go does, and a deferred function literal is a unit of its own. The deferred call itself (the ``f(x)`` node) runs
on the way out: every ``return``, ``panic(...)`` (and the other calls that panic or end the goroutine) and the
fall-off at the end go through the calls registered so far, latest first, then to the exit; ``os.Exit`` and
``log.Fatal*`` run none. A deferred function literal reads the variables it captures when it runs (a named
result assigned before the ``return`` reaches it). See :meth:`cpg.cfg._Builder._run_deferred` for the
over-approximations (a call registered on some paths only may be skipped; one registered in a loop runs once).

Simplifications: a bare ``return`` does not read the named results; ``recover()`` is an ordinary call (a panic
ends the function's CFG at its exit, recovered or not); only the ``noreturn_calls`` panic (any other call that may
panic has no edge to the deferred calls); a key in a struct literal (``T{X: x}``) reads a variable of that name;
no definition is conditional within a statement (Go assignments are no expressions).
"""

from __future__ import annotations

import tree_sitter_go

from cpg.languages.spec import LanguageSpec

#: type nodes: the labels of a type switch's ``case int, *T:`` (never statements)
_TYPES = (
    "type_identifier", "qualified_type", "pointer_type", "generic_type", "array_type", "implicit_length_array_type",
    "slice_type", "map_type", "channel_type", "function_type", "struct_type", "interface_type", "parenthesized_type",
    "negated_type",
)  # fmt: skip

GO = LanguageSpec(
    name="go",
    aliases=("golang",),
    extensions=(".go",),
    language=tree_sitter_go.language,
    roles={
        "block": "block",
        "if_statement": "if",
        "for_statement": "loop",
        "expression_switch_statement": "switch",
        "type_switch_statement": "switch",
        "select_statement": "switch",
        "expression_case": "arm",
        "type_case": "arm",
        "communication_case": "arm",
        "default_case": "arm",
        "labeled_statement": "labeled",
        "return_statement": "return",
        "break_statement": "break",
        "continue_statement": "continue",
        "goto_statement": "goto",
        "fallthrough_statement": "fallthrough",
        "defer_statement": "defer",
    },
    function_kinds=frozenset({"function_declaration", "method_declaration", "func_literal"}),
    module_kinds=frozenset({"source_file"}),
    skip_kinds=frozenset({"comment"}),
    case_label_kinds=frozenset({"expression_list", *_TYPES}),  # ``case 1, 2:`` values, ``case int:`` types
    identifier_kinds=frozenset({"identifier", "label_name"}),
    positions={
        ("parameter_declaration", "name"): "def",
        ("variadic_parameter_declaration", "name"): "def",
        ("short_var_declaration", "left"): "def",
        ("var_spec", "name"): "def",
        ("const_spec", "name"): "def",
        ("range_clause", "left"): "def",
        ("receive_statement", "left"): "def",
        ("type_switch_statement", "alias"): "def",
        ("assignment_statement", "left"): "assign",
        ("inc_statement", None): "update",
        ("dec_statement", None): "update",
        ("function_declaration", "name"): "ignore",
        ("type_parameter_declaration", "name"): "ignore",
        ("labeled_statement", "label"): "ignore",
        ("break_statement", None): "ignore",
        ("continue_statement", None): "ignore",
        ("goto_statement", None): "ignore",
    },
    pattern_kinds=frozenset({"expression_list"}),  # ``a, b = b, a``
    # package-level declarations are no statements: their order of initialization is not the file's order
    unit_kinds=frozenset(
        {"package_clause", "import_declaration", "function_declaration", "method_declaration", "type_declaration",
         "const_declaration", "var_declaration"}
    ),  # fmt: skip
    calls={"call_expression": ("function", "arguments")},
    noreturn_calls=frozenset(
        {b"panic", b"os.Exit", b"runtime.Goexit", b"log.Fatal", b"log.Fatalf", b"log.Fatalln", b"log.Panic",
         b"log.Panicf", b"log.Panicln"}
    ),  # fmt: skip
    exit_calls=frozenset({b"os.Exit", b"log.Fatal", b"log.Fatalf", b"log.Fatalln"}),
    condition_clauses=frozenset({"for_clause"}),
    exhaustive_switches=frozenset({"select_statement"}),
)
